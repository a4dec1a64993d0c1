//! Bad configuration stops a service with one clear line and a non-zero exit, never a panic;
//! a healthy service stops cleanly on SIGTERM.

use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use chat_e2e::{Stack, eventually, free_addrs, grpc_health};
use tonic_health::pb::health_check_response::ServingStatus;

fn run(stack: &Stack, binary: &str, args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(stack.binary(binary))
        .args(args)
        .envs(envs.iter().copied())
        .env("CHAT_LOG_FORMAT", "text")
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run the service binary")
}

/// The last line of stderr (the one the operator reads), after checking nothing panicked.
fn last_error_line(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    assert!(
        !stderr.contains("stack backtrace"),
        "no backtrace: {stderr}"
    );
    stderr.lines().last().unwrap_or_default().to_owned()
}

#[test]
fn a_port_in_use_is_named_in_one_line() {
    let stack = Stack::load();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();
    let [metrics] = free_addrs();
    let output = run(
        &stack,
        "chat-router",
        &["--grpc-addr", &taken_addr, "--metrics-addr", &metrics],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let line = last_error_line(&output);
    assert!(
        line.starts_with("error: chat-router: cannot listen on"),
        "{line}"
    );
    assert!(
        line.contains(&taken_addr) && line.contains("gRPC"),
        "{line}"
    );
}

#[test]
fn an_unreachable_database_is_named_in_one_line() {
    let stack = Stack::load();
    let [grpc, metrics] = free_addrs();
    let output = run(
        &stack,
        "chat-account",
        &[
            "--grpc-addr",
            &grpc,
            "--metrics-addr",
            &metrics,
            "--database-url",
            "mysql://root:hunter2@127.0.0.1:1/chat_account",
            "--startup-timeout",
            "2s",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let line = last_error_line(&output);
    assert!(line.starts_with("error: chat-account: MySQL at"), "{line}");
    assert!(line.contains("is unreachable"), "{line}");
    assert!(
        !line.contains("hunter2"),
        "the password is not printed: {line}"
    );
}

#[test]
fn a_malformed_environment_variable_is_named() {
    let stack = Stack::load();
    for binary in [
        "chat-router",
        "chat-account",
        "chat-message",
        "chat-gateway",
    ] {
        let output = run(&stack, binary, &[], &[("CHAT_HEALTH_INTERVAL", "often")]);
        assert_eq!(output.status.code(), Some(2), "{binary}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{binary}: {stderr}");
        assert!(
            stderr.contains("invalid value 'often'") && stderr.contains("--health-interval"),
            "{binary}: {stderr}"
        );
    }
}

#[test]
fn every_binary_explains_its_flags() {
    let stack = Stack::load();
    for binary in [
        "chat-router",
        "chat-account",
        "chat-message",
        "chat-gateway",
    ] {
        let output = run(&stack, binary, &["--help"], &[]);
        assert!(output.status.success(), "{binary}");
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(
            help.contains("--grpc-addr") && help.contains("[env: "),
            "{binary}: {help}"
        );
    }
}

#[tokio::test]
async fn a_service_stops_cleanly_on_sigterm() {
    let stack = Stack::load();
    let [grpc, http, metrics] = free_addrs();
    let mut child = tokio::process::Command::new(stack.binary("chat-router"))
        .args(["--grpc-addr", &grpc, "--http-addr", &http])
        .args(["--metrics-addr", &metrics, "--health-interval", "200ms"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chat-router");
    let serving = eventually(Duration::from_secs(20), || async {
        grpc_health(&grpc).await == Ok(ServingStatus::Serving)
    })
    .await;
    assert!(serving, "the router reports SERVING once Redis answers");
    let pid = child.id().expect("pid").to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits within 10 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "exit status {status}");
}
