//! `chat-healthcheck <ADDR> [SERVICE]`: exits 0 when the gRPC health service at ADDR reports
//! SERVING, 1 otherwise, printing the status. Used by `cargo xtask`, Docker and Kubernetes.

use std::process::ExitCode;
use std::time::Duration;

use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

const USAGE: &str = "usage: chat-healthcheck <host:port> [service]\n\
Asks the gRPC health service at host:port (overall status, or SERVICE's) and exits 0 when it is SERVING.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("{USAGE}");
        return if args.is_empty() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let addr = args[0].clone();
    let service = args.get(1).cloned().unwrap_or_default();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(check(&addr, service)) {
        Ok(status) if status == "SERVING" => {
            println!("{status}");
            ExitCode::SUCCESS
        }
        Ok(status) => {
            println!("{status}");
            ExitCode::FAILURE
        }
        Err(error) => {
            println!("UNREACHABLE: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn check(addr: &str, service: String) -> Result<String, String> {
    let uri = if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    };
    let channel = tonic::transport::Endpoint::from_shared(uri)
        .map_err(|error| error.to_string())?
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .connect()
        .await
        .map_err(|error| error.to_string())?;
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest { service })
        .await
        .map_err(|status| format!("{}: {}", status.code(), status.message()))?;
    Ok(reply.into_inner().status().as_str_name().to_owned())
}
