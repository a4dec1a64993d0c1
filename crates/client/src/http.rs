//! One HTTP/1.1 exchange with the REST API: hyper-util's pooled client, JSON bodies, a bearer
//! token, and a deadline on the whole exchange (connect, answer and body).

use std::error::Error as StdError;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::error::RestError;

/// How long idle pooled connections are kept (the gateways keep theirs longer).
const POOL_IDLE: Duration = Duration::from_secs(30);

/// A cheap-to-clone HTTP client; clones share one connection pool.
#[derive(Clone)]
pub(crate) struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

/// A complete answer: status, `Retry-After` and the whole body.
pub(crate) struct Reply {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Bytes,
}

impl Http {
    /// A client whose every exchange must finish within `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(timeout));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE)
            .build(connector);
        Self { client, timeout }
    }

    /// Sends one request; `body` is JSON. Any status is an `Ok` here: the caller decides.
    pub async fn call(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Result<Reply, RestError> {
        let body = body.map(|json| (Bytes::from(json), "application/json"));
        self.call_within(method, url, token, body, self.timeout)
            .await
    }

    /// Sends one request with a body of any type (`(bytes, content type)`), within `timeout`
    /// (file transfers take longer than calls).
    pub async fn call_within(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<(Bytes, &str)>,
        timeout: Duration,
    ) -> Result<Reply, RestError> {
        let mut builder = Request::builder()
            .method(method)
            .uri(url)
            .header(header::ACCEPT, "application/json");
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some((_, content_type)) = &body {
            builder = builder.header(header::CONTENT_TYPE, *content_type);
        }
        let request = builder
            .body(Full::new(body.map(|(bytes, _)| bytes).unwrap_or_default()))
            .map_err(|error| RestError::InvalidUrl(format!("{url}: {error}")))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(transport)?;
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(transport)?
                .to_bytes();
            Ok(Reply {
                status,
                retry_after,
                body,
            })
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| RestError::Transport(format!("no answer within {timeout:?}")))?
    }
}

/// `Retry-After` in seconds (the API never sends the date form).
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse().ok().map(Duration::from_secs)
}

/// hyper's errors say little at the top ("client error (Connect)"): keep the whole chain.
pub(crate) fn transport(error: impl StdError) -> RestError {
    RestError::Transport(error_chain(&error))
}

/// `top: cause: cause ...`, skipping causes that repeat the text before them.
pub(crate) fn error_chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl StdError for Layer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.1
                .as_deref()
                .map(|layer| layer as &(dyn StdError + 'static))
        }
    }

    #[test]
    fn an_error_chain_names_every_distinct_cause() {
        let error = Layer(
            "client error (Connect)",
            Some(Box::new(Layer(
                "tcp connect error",
                Some(Box::new(Layer("Connection refused (os error 111)", None))),
            ))),
        );
        assert_eq!(
            error_chain(&error),
            "client error (Connect): tcp connect error: Connection refused (os error 111)"
        );
        let repeated = Layer("timed out", Some(Box::new(Layer("timed out", None))));
        assert_eq!(error_chain(&repeated), "timed out");
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let mut headers = header::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static(" 7 "));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }
}
