//! A unary call's failure carried as data, for `SendStream` replies: the same status, message
//! and `chat-error-code` metadata, so that a caller maps both the same way.

use tonic::metadata::MetadataValue;
use tonic::{Code, Status};

use crate::message::SendFailure;

const ERROR_CODE: &str = "chat-error-code";
const RETRY_AFTER: &str = "retry-after";

impl From<&Status> for SendFailure {
    fn from(status: &Status) -> Self {
        let text = |key: &str| {
            status
                .metadata()
                .get(key)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            grpc_code: status.code() as i32,
            message: status.message().to_owned(),
            error_code: text(ERROR_CODE).unwrap_or_default(),
            retry_after_s: text(RETRY_AFTER)
                .and_then(|value| value.parse().ok())
                .unwrap_or_default(),
        }
    }
}

impl From<SendFailure> for Status {
    fn from(failure: SendFailure) -> Self {
        let mut status = Status::new(Code::from_i32(failure.grpc_code), failure.message);
        if let Ok(value) = MetadataValue::try_from(failure.error_code.as_str())
            && !failure.error_code.is_empty()
        {
            status.metadata_mut().insert(ERROR_CODE, value);
        }
        if failure.retry_after_s > 0 {
            status
                .metadata_mut()
                .insert(RETRY_AFTER, MetadataValue::from(failure.retry_after_s));
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_survives_the_round_trip() {
        let mut status = Status::resource_exhausted("slow down");
        status
            .metadata_mut()
            .insert(ERROR_CODE, MetadataValue::from_static("rate_limited"));
        status
            .metadata_mut()
            .insert(RETRY_AFTER, MetadataValue::from(7u64));
        let back = Status::from(SendFailure::from(&status));
        assert_eq!(back.code(), Code::ResourceExhausted);
        assert_eq!(back.message(), "slow down");
        let code = back
            .metadata()
            .get(ERROR_CODE)
            .and_then(|v| v.to_str().ok());
        assert_eq!(code, Some("rate_limited"));
        let retry = back
            .metadata()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok());
        assert_eq!(retry, Some("7"));
    }

    #[test]
    fn a_failure_without_metadata_adds_none() {
        let back = Status::from(SendFailure {
            grpc_code: Code::PermissionDenied as i32,
            message: "not friends".into(),
            ..SendFailure::default()
        });
        assert_eq!(back.code(), Code::PermissionDenied);
        assert!(back.metadata().get(ERROR_CODE).is_none());
    }
}
