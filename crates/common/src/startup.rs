//! Start-up: parse flags, build the runtime, run the service, and turn any start-up failure
//! into one clear line on stderr and a non-zero exit (never a panic backtrace).

use std::net::SocketAddr;
use std::process::ExitCode;

/// Why a service could not start (or had to stop).
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A listening socket could not be opened (port in use, no permission, bad address).
    #[error("cannot listen on {addr} for {what}: {source}")]
    Bind {
        what: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// A required dependency did not answer within the start-up timeout.
    #[error("{what} at {target} is unreachable: {detail}")]
    Unreachable {
        what: &'static str,
        target: String,
        detail: String,
    },
    /// A flag or environment variable holds a value that cannot be used.
    #[error("bad configuration: {0}")]
    Config(String),
    /// A part of the service failed while starting or running.
    #[error("{what} failed: {detail}")]
    Failed { what: &'static str, detail: String },
}

impl StartupError {
    /// A dependency failure, with any password in `target` (a URL) hidden.
    pub fn unreachable(what: &'static str, target: &str, detail: impl ToString) -> Self {
        Self::Unreachable {
            what,
            target: redact_url(target),
            detail: detail.to_string(),
        }
    }

    /// A failure of some part of the service.
    pub fn failed(what: &'static str, detail: impl ToString) -> Self {
        Self::Failed {
            what,
            detail: detail.to_string(),
        }
    }
}

/// Parses the service's flags, runs `main` on a multi-threaded Tokio runtime and maps the
/// outcome to an exit code. Flag errors are reported by clap itself (exit code 2).
pub fn run_service<C, F, Fut>(service: &'static str, main: F) -> ExitCode
where
    C: clap::Parser,
    F: FnOnce(C) -> Fut,
    Fut: Future<Output = Result<(), StartupError>>,
{
    let config = C::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(service, &StartupError::failed("tokio runtime", error)),
    };
    match runtime.block_on(main(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(service, &error),
    }
}

fn fail(service: &str, error: &StartupError) -> ExitCode {
    tracing::error!(%error, "{service} stopped");
    eprintln!("error: {service}: {error}");
    ExitCode::FAILURE
}

/// Hides the password of a `scheme://user:password@host/...` URL.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_hidden() {
        assert_eq!(
            redact_url("mysql://root:secret@127.0.0.1:3306/chat"),
            "mysql://root:***@127.0.0.1:3306/chat"
        );
        assert_eq!(
            redact_url("mysql://root@127.0.0.1/chat"),
            "mysql://root@127.0.0.1/chat"
        );
        assert_eq!(
            redact_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn bind_errors_name_the_address_and_purpose() {
        let error = StartupError::Bind {
            what: "gRPC",
            addr: "127.0.0.1:50051".parse().unwrap(),
            source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
        };
        let line = error.to_string();
        assert!(
            line.contains("127.0.0.1:50051") && line.contains("gRPC"),
            "{line}"
        );
    }
}
