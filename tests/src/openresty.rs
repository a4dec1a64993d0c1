//! A private OpenResty, rendered from `openresty/nginx.conf` and routing by a test cluster's
//! router, for tests that need the public entry point of their own cluster.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{free_addrs, http_get};

/// An nginx instance of our own, rendered from `openresty/nginx.conf`; stopped when dropped.
pub struct OpenResty {
    prefix: PathBuf,
    /// Where it listens (host:port).
    pub listen: String,
}

impl OpenResty {
    pub fn start(run_dir: &Path, name: &str, router_http: &str) -> Self {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openresty");
        let prefix = run_dir.join("test-logs").join(name).join("openresty");
        for dir in ["logs", "temp"] {
            std::fs::create_dir_all(prefix.join(dir)).unwrap();
        }
        let [listen] = free_addrs();
        let conf = std::fs::read_to_string(source.join("nginx.conf"))
            .unwrap()
            .replace("{{PREFIX}}", &prefix.to_string_lossy())
            .replace("{{LUA_DIR}}", &source.join("lua").to_string_lossy())
            .replace("{{LISTEN}}", &listen)
            .replace("{{ROUTER_HTTP}}", router_http)
            .replace("{{GATEWAYS}}", "")
            .replace("{{WORKERS}}", "2")
            .replace("{{EXTRA_LISTEN}}", "");
        std::fs::write(prefix.join("nginx.conf"), conf).unwrap();
        let nginx = Self { prefix, listen };
        let status = nginx.command(&[]).status().expect("run nginx");
        assert!(
            status.success(),
            "nginx failed to start; see {}",
            nginx.prefix.join("logs").display()
        );
        nginx
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("/usr/sbin/nginx");
        command
            .arg("-p")
            .arg(&self.prefix)
            .arg("-c")
            .arg(self.prefix.join("nginx.conf"))
            .args(args);
        command
    }

    pub fn get(&self, path: &str, headers: &str) -> String {
        crate::http_request(
            &self.listen,
            &format!("GET {path} HTTP/1.0\r\nHost: chat\r\n{headers}\r\n"),
        )
    }

    /// The epoch of the table OpenResty routes by.
    pub fn epoch(&self) -> u64 {
        let response = http_get(&self.listen, "/_routing/table");
        let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
        serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|json| json["epoch"].as_u64())
            .unwrap_or(0)
    }

    pub async fn wait_for_epoch(&self, epoch: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.epoch() < epoch {
            assert!(
                tokio::time::Instant::now() < deadline,
                "OpenResty never saw epoch {epoch}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for OpenResty {
    fn drop(&mut self) {
        let _ = self.command(&["-s", "stop"]).status();
    }
}
