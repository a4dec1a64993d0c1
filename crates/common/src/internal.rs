//! Internal gRPC calls are authenticated by a secret the cluster's services share
//! (`--internal-secret-file`): each call carries it in `x-chat-internal`, and every server
//! refuses a call without it (UNAUTHENTICATED) before any service sees it. The services trust
//! `actor_id` in requests because only a gateway, which authenticated the user, can make them.
//! Health checks stay open: load balancers and `chat-healthcheck` probe them.

use std::future::{Ready, ready};
use std::path::Path;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::Either;
use tonic::Status;
use tonic::codegen::http;
use tonic::metadata::AsciiMetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::StartupError;
use crate::throttle::Throttle;

/// The header (gRPC metadata) that carries the secret.
pub const HEADER: &str = "x-chat-internal";

/// The shortest secret accepted.
const MIN_LEN: usize = 32;

/// A channel to a peer service whose calls carry the secret.
pub type InternalChannel = InterceptedService<Channel, InternalSecret>;

/// The cluster's internal secret, or none (calls are then neither signed nor checked).
#[derive(Clone, Default)]
pub struct InternalSecret(Option<Arc<AsciiMetadataValue>>);

impl std::fmt::Debug for InternalSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "InternalSecret(set)"
        } else {
            "InternalSecret(none)"
        })
    }
}

impl InternalSecret {
    /// A secret from its text (at least 32 printable ASCII characters once trimmed).
    pub fn new(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.len() < MIN_LEN {
            return Err(format!(
                "the internal secret has {} characters; it needs at least {MIN_LEN}",
                text.len()
            ));
        }
        let printable = "the internal secret must be printable ASCII without spaces";
        if !text.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(printable.to_owned());
        }
        let value = AsciiMetadataValue::try_from(text).map_err(|_| printable.to_owned())?;
        Ok(Self(Some(Arc::new(value))))
    }

    /// Reads the secret from `path`; without a path there is none (and a warning says so).
    pub fn load(path: Option<&Path>) -> Result<Self, StartupError> {
        let Some(path) = path else {
            tracing::warn!(
                "internal gRPC calls are not authenticated: set --internal-secret-file \
                 (CHAT_INTERNAL_SECRET_FILE) on every service of the cluster"
            );
            return Ok(Self(None));
        };
        let text = std::fs::read_to_string(path).map_err(|error| {
            StartupError::Config(format!(
                "--internal-secret-file {}: {error}",
                path.display()
            ))
        })?;
        Self::new(&text).map_err(|error| {
            StartupError::Config(format!(
                "--internal-secret-file {}: {error}",
                path.display()
            ))
        })
    }

    pub fn is_set(&self) -> bool {
        self.0.is_some()
    }

    /// Whether a call carrying `given` may pass: always without a secret; with one, only when
    /// `given` is that secret (compared in constant time).
    pub fn admits(&self, given: Option<&[u8]>) -> bool {
        let Some(secret) = &self.0 else {
            return true;
        };
        let Some(given) = given else {
            return false;
        };
        let secret = secret.as_bytes();
        secret.len() == given.len()
            && secret
                .iter()
                .zip(given)
                .fold(0u8, |differ, (a, b)| differ | (a ^ b))
                == 0
    }

    /// `channel` with the secret added to every call.
    pub fn channel(&self, channel: Channel) -> InternalChannel {
        InterceptedService::new(channel, self.clone())
    }
}

/// Adds the secret to each outgoing call.
impl Interceptor for InternalSecret {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        if let Some(secret) = &self.0 {
            request.metadata_mut().insert(HEADER, (**secret).clone());
        }
        Ok(request)
    }
}

/// The server side: a layer that refuses calls without the secret.
#[derive(Clone, Debug)]
pub struct RequireSecret(pub InternalSecret);

impl<S> tower::Layer<S> for RequireSecret {
    type Service = Checked<S>;

    fn layer(&self, inner: S) -> Checked<S> {
        Checked {
            inner,
            secret: self.0.clone(),
        }
    }
}

/// A service behind [`RequireSecret`].
#[derive(Clone, Debug)]
pub struct Checked<S> {
    inner: S,
    secret: InternalSecret,
}

/// Health checks pass without the secret.
fn is_health_check(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/")
}

impl<S, B, R> tower::Service<http::Request<B>> for Checked<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    R: Default,
{
    type Response = http::Response<R>;
    type Error = S::Error;
    type Future = Either<Ready<Result<http::Response<R>, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let given = request.headers().get(HEADER).map(|value| value.as_bytes());
        if is_health_check(request.uri().path()) || self.secret.admits(given) {
            return Either::Right(self.inner.call(request));
        }
        metrics::counter!("chat_internal_calls_refused_total").increment(1);
        static REFUSED: Throttle = Throttle::new(Duration::from_secs(10));
        if let Some(held_back) = REFUSED.allow() {
            tracing::warn!(path = %request.uri().path(), held_back, "internal call without the cluster's secret refused");
        }
        let refusal = Status::unauthenticated("internal calls need the cluster's secret");
        Either::Left(ready(Ok(refusal.into_http())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_secret_itself_is_admitted() {
        let secret = InternalSecret::new("0123456789abcdef0123456789abcdef\n").unwrap();
        assert!(secret.admits(Some(b"0123456789abcdef0123456789abcdef")));
        assert!(!secret.admits(Some(b"0123456789abcdef0123456789abcdeF")));
        assert!(!secret.admits(Some(b"0123456789abcdef")));
        assert!(!secret.admits(None));
        assert!(
            InternalSecret::default().admits(None),
            "no secret, no check"
        );
    }

    #[test]
    fn short_or_non_ascii_secrets_are_refused() {
        assert!(InternalSecret::new("short").is_err());
        assert!(InternalSecret::new(&"é".repeat(40)).is_err());
    }

    #[test]
    fn health_checks_are_open() {
        assert!(is_health_check("/grpc.health.v1.Health/Check"));
        assert!(!is_health_check("/chat.account.v1.Account/Authenticate"));
    }
}
