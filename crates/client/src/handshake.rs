//! The WebSocket opening handshake over hyper's HTTP/1.1 client. Done here rather than with
//! `fastwebsockets::handshake::client`, because that one drops the body of a refusal, and the
//! body is what says where a user moved (421) or why a token was refused (401).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::upgrade::Upgraded;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::endpoint::Endpoint;
use crate::error::WsError;
use crate::http::error_chain;

/// Refusal bodies are small JSON objects; more than this is not read.
const MAX_REFUSAL_BODY: usize = 64 * 1024;

/// Opens a TCP connection to `endpoint`, asks for a WebSocket at `path` with a bearer token
/// and returns the upgraded stream, or the refusal as a typed error.
pub(crate) async fn upgrade(
    endpoint: &Endpoint,
    path: &str,
    token: &str,
) -> Result<TokioIo<Upgraded>, WsError> {
    let stream = TcpStream::connect((endpoint.host(), endpoint.port()))
        .await
        .map_err(|error| {
            WsError::Transport(format!("connect {}: {error}", endpoint.authority()))
        })?;
    // Frames are small and latency matters more than packet count.
    stream.set_nodelay(true).map_err(transport)?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(transport)?;
    // Drives the HTTP exchange and then hands the socket over to the upgrade; it ends by itself
    // (an error here surfaces as an error of `send_request` or of the upgrade).
    tokio::spawn(async move {
        let _ = connection.with_upgrades().await;
    });
    let request = request(endpoint, path, token)?;
    let mut response = sender.send_request(request).await.map_err(transport)?;
    let status = response.status();
    if status != StatusCode::SWITCHING_PROTOCOLS {
        let body = Limited::new(response.into_body(), MAX_REFUSAL_BODY)
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .unwrap_or_default();
        return Err(WsError::from_refusal(status.as_u16(), &body));
    }
    check_upgrade(response.headers())?;
    let upgraded = hyper::upgrade::on(&mut response).await.map_err(transport)?;
    Ok(TokioIo::new(upgraded))
}

/// The upgrade request (RFC 6455 section 4.1) with the token as `Authorization: Bearer`.
fn request(endpoint: &Endpoint, path: &str, token: &str) -> Result<Request<Empty<Bytes>>, WsError> {
    Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(header::HOST, endpoint.authority())
        .header(header::UPGRADE, "websocket")
        .header(header::CONNECTION, "Upgrade")
        .header(
            header::SEC_WEBSOCKET_KEY,
            fastwebsockets::handshake::generate_key(),
        )
        .header(header::SEC_WEBSOCKET_VERSION, "13")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Empty::new())
        .map_err(|error| WsError::Handshake(format!("cannot build the request: {error}")))
}

/// A 101 must say `Upgrade: websocket` and `Connection: Upgrade` (a token in a list).
fn check_upgrade(headers: &HeaderMap) -> Result<(), WsError> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value: &HeaderValue| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|part| part.trim().eq_ignore_ascii_case(token))
    };
    if !has_token(header::UPGRADE, "websocket") {
        return Err(WsError::Handshake("101 without Upgrade: websocket".into()));
    }
    if !has_token(header::CONNECTION, "upgrade") {
        return Err(WsError::Handshake("101 without Connection: Upgrade".into()));
    }
    Ok(())
}

fn transport(error: impl std::error::Error) -> WsError {
    WsError::Transport(error_chain(&error))
}

/// `upgrade` within `timeout`.
pub(crate) async fn upgrade_within(
    endpoint: &Endpoint,
    path: &str,
    token: &str,
    timeout: Duration,
) -> Result<TokioIo<Upgraded>, WsError> {
    tokio::time::timeout(timeout, upgrade(endpoint, path, token))
        .await
        .map_err(|_| WsError::Timeout)?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn an_upgrade_answer_needs_both_headers_in_any_case() {
        assert!(
            check_upgrade(&headers(&[
                ("upgrade", "WebSocket"),
                ("connection", "upgrade")
            ]))
            .is_ok()
        );
        assert!(
            check_upgrade(&headers(&[
                ("upgrade", "websocket"),
                ("connection", "keep-alive, Upgrade")
            ]))
            .is_ok()
        );
        assert!(check_upgrade(&headers(&[("connection", "upgrade")])).is_err());
        assert!(
            check_upgrade(&headers(&[
                ("upgrade", "websocket"),
                ("connection", "close")
            ]))
            .is_err()
        );
    }

    #[test]
    fn the_request_carries_the_route_token_and_websocket_headers() {
        let endpoint = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        let request = request(&endpoint, "/ws/42", "tok").unwrap();
        assert_eq!(request.uri(), "/ws/42");
        let header = |name: &str| request.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(header("host"), "127.0.0.1:8080");
        assert_eq!(header("authorization"), "Bearer tok");
        assert_eq!(header("upgrade"), "websocket");
        assert_eq!(header("sec-websocket-version"), "13");
        assert_eq!(header("sec-websocket-key").len(), 24, "16 bytes in base64");
    }
}
