//! Where a WebSocket request carries its token: `Authorization: Bearer`, the
//! `Sec-WebSocket-Protocol` list (`chat.v1, token.<token>`, for browsers, which cannot set
//! headers), or a `token` query parameter. Tokens are never logged.

use axum::http::HeaderMap;

/// The subprotocol the server answers when the client offered one.
pub const SUBPROTOCOL: &str = "chat.v1";
const TOKEN_PROTOCOL_PREFIX: &str = "token.";

/// The token, and whether it came in the subprotocol list (then the answer must name
/// [`SUBPROTOCOL`]).
pub fn token(headers: &HeaderMap, query: Option<&str>) -> Option<(String, bool)> {
    if let Some(token) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
    {
        return Some((token.to_owned(), false));
    }
    if let Some(token) = headers
        .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .find_map(|protocol| protocol.strip_prefix(TOKEN_PROTOCOL_PREFIX))
        .filter(|token| !token.is_empty())
    {
        return Some((token.to_owned(), true));
    }
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "token")
        .map(|(_, value)| value.to_owned())
        .filter(|token| !token.is_empty())
        .map(|token| (token, false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn a_bearer_header_wins() {
        let found = token(
            &headers(&[("authorization", "Bearer abc")]),
            Some("token=xyz"),
        );
        assert_eq!(found, Some(("abc".into(), false)));
    }

    #[test]
    fn browsers_put_it_in_the_subprotocol_list() {
        let found = token(
            &headers(&[("sec-websocket-protocol", "chat.v1, token.abc")]),
            None,
        );
        assert_eq!(found, Some(("abc".into(), true)));
    }

    #[test]
    fn the_query_is_the_last_resort() {
        assert_eq!(
            token(&HeaderMap::new(), Some("a=1&token=q1")),
            Some(("q1".into(), false))
        );
        assert_eq!(token(&HeaderMap::new(), Some("token=")), None);
        assert_eq!(token(&HeaderMap::new(), None), None);
        assert_eq!(token(&headers(&[("authorization", "Basic x")]), None), None);
    }
}
