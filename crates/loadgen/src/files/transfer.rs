//! One transfer of the `files` scenario over plain HTTP/1.1 (hyper-util's pooled client): an
//! upload whose body is slices of one shared buffer (no copy per request), or a download
//! whose body is counted and dropped as it arrives. Both add the bytes they move to a shared
//! counter as they move, so a point's MB/s is the bytes moved inside its window, not the
//! files that happened to finish in it (a 50 MiB file takes seconds).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use hyper::{Method, Request, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::recorder::Failure;

/// Bytes of the shared buffer handed to hyper at a time: small enough that the counter
/// follows the socket closely, large enough that the per-frame cost is nothing.
const CHUNK_BYTES: usize = 256 * 1024;

/// What one slot of a point does again and again.
#[derive(Debug, Clone)]
pub struct Job {
    pub method: Method,
    pub url: String,
    /// A bearer token (none for OpenResty's own locations).
    pub token: Option<String>,
    /// The upload's bytes; empty for a download.
    pub body: Bytes,
    /// The bytes a download must return (its file's size).
    pub expect: u64,
}

/// A cheap-to-clone client; clones share one connection pool (one keep-alive connection per
/// slot once warm).
#[derive(Clone)]
pub struct Http {
    client: Client<HttpConnector, Chunks>,
    timeout: Duration,
}

impl Http {
    /// A client whose every transfer must finish within `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Self { client, timeout }
    }

    /// Runs `job` once, adding the bytes it moves to `moved` as they move.
    pub async fn run(&self, job: &Job, moved: &Arc<AtomicU64>) -> Result<(), Failure> {
        self.answer(job, moved).await.map(|_| ())
    }

    /// Uploads `job`'s body through the gateway and returns the new file's id.
    pub async fn upload(&self, job: &Job) -> anyhow::Result<u64> {
        let answer = self
            .answer(job, &Arc::new(AtomicU64::new(0)))
            .await
            .map_err(|failure| anyhow::anyhow!("{}: {}", failure.code, failure.message))?;
        serde_json::from_slice::<serde_json::Value>(&answer)
            .ok()
            .and_then(|value| value["file_id"].as_u64())
            .ok_or_else(|| anyhow::anyhow!("an upload answered without a file_id"))
    }

    /// Runs `job` once; the answer's first bytes when it passed the check.
    async fn answer(&self, job: &Job, moved: &Arc<AtomicU64>) -> Result<Vec<u8>, Failure> {
        match tokio::time::timeout(self.timeout, self.exchange(job, moved)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(failure(
                "ClientTimeout",
                format!("{} {} took over {:?}", job.method, job.url, self.timeout),
            )),
        }
    }

    async fn exchange(&self, job: &Job, moved: &Arc<AtomicU64>) -> Result<Vec<u8>, Failure> {
        let mut builder = Request::builder().method(job.method.clone()).uri(&job.url);
        if let Some(token) = &job.token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if !job.body.is_empty() {
            builder = builder.header(header::CONTENT_TYPE, "application/octet-stream");
        }
        let upload = Chunks {
            data: job.body.clone(),
            sent: 0,
            moved: Arc::clone(moved),
        };
        let request = builder
            .body(upload)
            .map_err(|error| failure("InvalidRequest", error.to_string()))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|error| failure("Transport", format!("{error:?}")))?;
        let status = response.status();
        let mut body = response.into_body();
        let mut received: u64 = 0;
        // The answer to an upload is small JSON, kept for the check below; a download's bytes
        // are only counted (a 50 MiB body held per slot would be the load generator's cost).
        let mut answer = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| failure("Transport", format!("{error:?}")))?;
            if let Some(data) = frame.data_ref() {
                received += data.len() as u64;
                if job.body.is_empty() {
                    moved.fetch_add(data.len() as u64, Ordering::Relaxed);
                } else if answer.len() < 4096 {
                    answer.extend_from_slice(data);
                }
            }
        }
        check(job, status.as_u16(), received, &answer)?;
        Ok(answer)
    }
}

/// Whether the answer is what the job expects: 200 and every byte for a download, 201 with
/// the right size (the gateway) or 204 (OpenResty's sink) for an upload.
fn check(job: &Job, status: u16, received: u64, answer: &[u8]) -> Result<(), Failure> {
    let text = || String::from_utf8_lossy(answer).chars().take(200).collect();
    if job.body.is_empty() {
        if status != 200 {
            return Err(failure(&format!("Http{status}"), text()));
        }
        if received != job.expect {
            return Err(failure(
                "ShortBody",
                format!("{received} of {} bytes", job.expect),
            ));
        }
        return Ok(());
    }
    match status {
        204 => Ok(()),
        201 => {
            let stored = serde_json::from_slice::<serde_json::Value>(answer)
                .ok()
                .and_then(|value| value["size_bytes"].as_u64());
            if stored == Some(job.body.len() as u64) {
                Ok(())
            } else {
                Err(failure("WrongSize", text()))
            }
        }
        _ => Err(failure(&format!("Http{status}"), text())),
    }
}

fn failure(code: &str, message: String) -> Failure {
    Failure {
        code: code.to_owned(),
        message,
    }
}

/// A request body made of slices of one shared buffer, counted as hyper takes them.
pub struct Chunks {
    data: Bytes,
    sent: usize,
    moved: Arc<AtomicU64>,
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let start = self.sent;
        if start >= self.data.len() {
            return Poll::Ready(None);
        }
        let end = (start + CHUNK_BYTES).min(self.data.len());
        self.sent = end;
        self.moved
            .fetch_add((end - start) as u64, Ordering::Relaxed);
        Poll::Ready(Some(Ok(Frame::data(self.data.slice(start..end)))))
    }

    fn is_end_stream(&self) -> bool {
        self.sent >= self.data.len()
    }

    /// Exact, so that hyper sends a Content-Length (the gateway and the sink expect one).
    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact((self.data.len() - self.sent) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(body: &'static [u8], expect: u64) -> Job {
        Job {
            method: Method::POST,
            url: "http://127.0.0.1:1/".into(),
            token: None,
            body: Bytes::from_static(body),
            expect,
        }
    }

    #[test]
    fn uploads_pass_with_the_stored_size_and_downloads_with_every_byte() {
        assert!(check(&job(b"abc", 0), 201, 20, br#"{"size_bytes":3}"#).is_ok());
        assert!(check(&job(b"abc", 0), 201, 20, br#"{"size_bytes":2}"#).is_err());
        assert!(check(&job(b"abc", 0), 204, 0, b"").is_ok());
        let refused = check(&job(b"abc", 0), 429, 0, b"quota").unwrap_err();
        assert_eq!(refused.code, "Http429");
        assert!(check(&job(b"", 5), 200, 5, b"").is_ok());
        assert_eq!(
            check(&job(b"", 5), 200, 4, b"").unwrap_err().code,
            "ShortBody"
        );
    }

    #[tokio::test]
    async fn a_body_is_sliced_counted_and_sized_exactly() {
        let moved = Arc::new(AtomicU64::new(0));
        let data = Bytes::from(vec![7u8; CHUNK_BYTES * 2 + 10]);
        let mut body = Chunks {
            data: data.clone(),
            sent: 0,
            moved: Arc::clone(&moved),
        };
        assert_eq!(body.size_hint().exact(), Some(data.len() as u64));
        let mut frames = 0;
        let mut total = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame.unwrap();
            total += frame.data_ref().map_or(0, Bytes::len);
            frames += 1;
        }
        assert_eq!((frames, total), (3, data.len()));
        assert_eq!(moved.load(Ordering::Relaxed), data.len() as u64);
        assert!(body.is_end_stream());
    }
}
