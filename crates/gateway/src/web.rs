//! The browser client (`--web-dir`): the built single-page app served at `/` by every gateway, so
//! that it shares one origin with the REST API and the WebSocket (no CORS, no second host).
//!
//! Files are read per request, so a rebuilt client is served without restarting the gateway.

use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// How a request path outside the API is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `/api`, `/ws`, `/debug`: the API's namespaces; never a page, always the JSON 404.
    Reserved,
    /// Under `/assets/`: content-hashed build output, cached for good; missing is a 404 (a
    /// client route there would otherwise be cached as immutable index.html).
    Asset,
    /// A last segment with a dot asks for a file (`/favicon.ico`, `/missing.js`); missing is a
    /// 404, because index.html in place of a script only produces a confusing parse error.
    File,
    /// Anything else is a client-side route: the file if there is one, otherwise index.html.
    Page,
}

/// Classifies a request path (as in the URI, not decoded).
pub fn classify(path: &str) -> Kind {
    let first = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    if matches!(first, "api" | "ws" | "debug") {
        return Kind::Reserved;
    }
    if first == "assets" && path.len() > "/assets".len() {
        return Kind::Asset;
    }
    let last = path.rsplit('/').next().unwrap_or_default();
    if last.contains('.') {
        Kind::File
    } else {
        Kind::Page
    }
}

/// Serves `dir` as the fallback of the public router: GET and HEAD on paths no route matched.
pub fn router(dir: &Path) -> Router {
    if !dir.join("index.html").is_file() {
        // Not fatal: the client may still be building, and files are read per request.
        tracing::warn!(dir = %dir.display(), "--web-dir has no index.html (yet); pages answer 404");
    }
    let files = ServeDir::new(dir)
        // A directory is no page: `/` and client routes get index.html from the fallback below
        // instead of a redirect to a trailing slash.
        .append_index_html_on_directories(false)
        // Used only when the build left `.br`/`.gz` siblings; otherwise nginx compresses.
        .precompressed_br()
        .precompressed_gzip();
    let pages = files.clone().fallback(
        ServeFile::new(dir.join("index.html"))
            .precompressed_br()
            .precompressed_gzip(),
    );
    Router::new().fallback(move |request: Request| {
        let (files, pages) = (files.clone(), pages.clone());
        async move { serve(files, pages, request).await }
    })
}

async fn serve(files: ServeDir, pages: ServeDir<ServeFile>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let kind = classify(&path);
    let response =
        if kind == Kind::Reserved || !matches!(*request.method(), Method::GET | Method::HEAD) {
            None
        } else if kind == Kind::Page {
            pages.oneshot(request).await.ok()
        } else {
            files.oneshot(request).await.ok()
        };
    let mut response = match response {
        Some(response) if response.status() != StatusCode::NOT_FOUND => response.map(Body::new),
        // ServeDir's own 404 is empty; the API's JSON shape keeps one error format everywhere.
        _ => crate::http::not_found_at(&path),
    };
    let cached = kind == Kind::Asset
        && (response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED);
    let headers = response.headers_mut();
    // index.html names the current assets: always revalidated (Last-Modified makes that a 304).
    headers.insert(CACHE_CONTROL, if cached { IMMUTABLE } else { NO_CACHE });
    headers.extend(SECURITY_HEADERS);
    response
}

const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

/// Sent with every web-client response. `connect-src 'self'` covers the same-origin `ws:`/`wss:`
/// WebSocket in current browsers; `blob:`/`data:` images and `blob:` media are for previews of
/// files the user picks before upload.
const SECURITY_HEADERS: [(HeaderName, HeaderValue); 4] = [
    (
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
             media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
             frame-ancestors 'none'; form-action 'self'",
        ),
    ),
    (
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    ),
    (
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    ),
    (
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    ),
];

#[cfg(test)]
mod tests {
    use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
    use axum::http::{Method, StatusCode};
    use tower::ServiceExt;

    use super::{Kind, classify, router};

    #[test]
    fn api_namespaces_are_reserved() {
        for path in [
            "/api",
            "/api/",
            "/api/v1/nope",
            "/api/v1/app.js",
            "/ws",
            "/ws/12",
            "/debug/whoami",
        ] {
            assert_eq!(classify(path), Kind::Reserved, "{path}");
        }
        // Only whole segments: these are client routes.
        assert_eq!(classify("/apis"), Kind::Page);
        assert_eq!(classify("/wsx"), Kind::Page);
    }

    #[test]
    fn hashed_assets_never_fall_back() {
        assert_eq!(classify("/assets/index-3f9a1c.js"), Kind::Asset);
        assert_eq!(classify("/assets/nested/route"), Kind::Asset);
        assert_eq!(classify("/assets/"), Kind::Asset);
        // The bare word is a client route like any other.
        assert_eq!(classify("/assets"), Kind::Page);
        assert_eq!(classify("/assetsx/a"), Kind::Page);
    }

    #[test]
    fn dotted_last_segments_are_files_and_the_rest_pages() {
        for path in [
            "/missing.js",
            "/favicon.ico",
            "/index.html",
            "/a/b/c.map",
            "/.env",
        ] {
            assert_eq!(classify(path), Kind::File, "{path}");
        }
        for path in ["/", "", "/chat", "/chat/d:1:2", "/groups/7/", "/v1.2/x"] {
            assert_eq!(classify(path), Kind::Page, "{path}");
        }
    }

    /// A throwaway client build: index.html and one asset.
    fn client_dir() -> std::path::PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        let dir = std::env::temp_dir().join(format!("chat-web-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html><title>chat</title>").unwrap();
        std::fs::write(dir.join("assets/app.js"), "console.log(1)").unwrap();
        dir
    }

    async fn get(dir: &std::path::Path, method: Method, path: &str) -> axum::response::Response {
        let request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap();
        router(dir).oneshot(request).await.unwrap()
    }

    fn header<'a>(response: &'a axum::response::Response, name: &str) -> &'a str {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn serves_files_pages_and_json_404s() {
        let dir = client_dir();
        for path in ["/", "/chat/42"] {
            let response = get(&dir, Method::GET, path).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert!(header(&response, "content-type").starts_with("text/html"));
            assert_eq!(header(&response, "cache-control"), "no-cache");
            assert_eq!(header(&response, "x-frame-options"), "DENY");
            assert_eq!(
                header(&response, "content-security-policy"),
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; \
                 media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                 frame-ancestors 'none'; form-action 'self'"
            );
            assert_eq!(header(&response, "x-content-type-options"), "nosniff");
            assert_eq!(header(&response, "referrer-policy"), "no-referrer");
        }
        let response = get(&dir, Method::HEAD, "/assets/app.js").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(header(&response, CONTENT_TYPE.as_str()).contains("javascript"));
        assert_eq!(
            header(&response, CACHE_CONTROL.as_str()),
            "public, max-age=31536000, immutable"
        );
        for (method, path) in [
            (Method::GET, "/missing.js"),
            (Method::GET, "/assets/gone.js"),
            (Method::GET, "/assets/route"),
            (Method::GET, "/api/v1/nope"),
            (Method::GET, "/ws/x/y"),
            (Method::POST, "/chat"),
            (Method::GET, "/../../etc/passwd.txt"),
        ] {
            let response = get(&dir, method, path).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
            assert_eq!(header(&response, "content-type"), "application/json");
            assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn answers_only_what_the_api_routes_did_not() {
        let dir = client_dir();
        // As in http::spawn: the API's routes first, the client as the fallback.
        let api = axum::Router::new().nest(
            "/api/v1",
            axum::Router::new().route("/me", axum::routing::get(|| async { "me" })),
        );
        let app = api.merge(router(&dir));
        let call = |path: &'static str| {
            let app = app.clone();
            async move {
                let request = axum::http::Request::get(path)
                    .header("accept-encoding", "gzip")
                    .body(axum::body::Body::empty())
                    .unwrap();
                app.oneshot(request).await.unwrap()
            }
        };
        let me = call("/api/v1/me").await;
        assert_eq!(me.status(), StatusCode::OK);
        assert!(me.headers().get("content-security-policy").is_none());
        let nope = call("/api/v1/nope").await;
        assert_eq!(nope.status(), StatusCode::NOT_FOUND);
        assert_eq!(header(&nope, "content-type"), "application/json");

        // A build that left a gzip sibling: it is sent as is, typed as the original.
        std::fs::write(dir.join("assets/app.js.gz"), b"\x1f\x8b not really").unwrap();
        let js = call("/assets/app.js").await;
        assert_eq!(header(&js, "content-encoding"), "gzip");
        assert!(header(&js, "content-type").contains("javascript"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
