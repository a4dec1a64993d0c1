//! The stack `cargo xtask up` runs is complete and healthy: every service reports SERVING over
//! gRPC health, OpenResty answers on the public port, and unknown API paths get JSON errors.

use chat_e2e::{Stack, grpc_health, http_get};
use tonic_health::pb::health_check_response::ServingStatus;

#[tokio::test]
async fn every_service_reports_serving() {
    let stack = Stack::load();
    let mut addrs = vec![
        ("router", stack.router.grpc.clone()),
        ("account", stack.account.grpc.clone()),
        ("message", stack.message.grpc.clone()),
    ];
    addrs.extend(
        stack
            .gateways
            .iter()
            .map(|g| (g.name.as_str(), g.grpc.clone())),
    );
    assert!(stack.gateways.len() >= 2, "the stack runs several gateways");
    for (name, addr) in addrs {
        let status = grpc_health(&addr).await;
        assert_eq!(status, Ok(ServingStatus::Serving), "{name} at {addr}");
    }
}

#[test]
fn every_service_exposes_prometheus_metrics() {
    let stack = Stack::load();
    let mut addrs = vec![
        stack.router.metrics.clone(),
        stack.account.metrics.clone(),
        stack.message.metrics.clone(),
    ];
    addrs.extend(stack.gateways.iter().map(|g| g.metrics.clone()));
    for addr in addrs {
        let response = http_get(&addr, "/metrics");
        assert!(
            response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"),
            "{addr}: {response}"
        );
        assert!(
            response.contains("chat_dependency_up{dependency="),
            "{addr} reports its dependencies: {response}"
        );
        for line in response
            .lines()
            .filter(|l| l.starts_with("chat_dependency_up"))
        {
            assert!(line.ends_with(" 1"), "{addr}: a dependency is down: {line}");
        }
        let health = http_get(&addr, "/healthz");
        assert!(
            health.contains("200 OK") && health.contains("SERVING"),
            "{addr}: {health}"
        );
    }
}

#[test]
fn openresty_answers_on_the_public_port() {
    let stack = Stack::load();
    let public = stack.public_url.trim_start_matches("http://");
    let response = http_get(public, "/healthz");
    assert!(response.contains(" 200 "), "{response}");
}

#[test]
fn unknown_api_paths_get_a_json_error_from_the_gateway() {
    let stack = Stack::load();
    let response = http_get(&stack.gateways[0].http, "/api/v1/no-such-thing");
    assert!(response.contains(" 404 "), "{response}");
    assert!(response.contains(r#""code":"not_found""#), "{response}");
}

/// Never finishes: it waits for a WebSocket frame from a gateway that has no reason to send one
/// (after the session's `hello`, nothing is asked). Ignored in every normal run;
/// `cargo xtask test` runs it alone under nextest's `watchdog` profile to check that a hung test
/// is stopped within its limit, reported TIMEOUT by name, and fails the command.
#[test]
#[ignore = "hangs on purpose; run by cargo xtask test's watchdog check only"]
fn deliberately_hung_wait_for_a_frame_that_never_comes() {
    let stack = Stack::load();
    let (user, token) = chat_e2e::api::Api::new().new_user("hang");
    let public = stack.public_url.trim_start_matches("http://");
    let mut socket = chat_e2e::rawws::session(public, user, &token);
    // No ping is sent, so nothing comes until the idle timeout closes the socket; then the
    // wait goes on regardless.
    loop {
        if socket.read().is_err() {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}
