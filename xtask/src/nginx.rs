//! OpenResty: Debian's nginx with the Lua module, run as our own instance (`nginx -p <run dir>`)
//! from the template in `openresty/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::components::ports;
use crate::{TaskResult, fail, infra, paths, probe, process};

const NGINX: &str = "/usr/sbin/nginx";
const LUA_MODULE: &str = "/usr/lib/nginx/modules/ngx_http_lua_module.so";
const PACKAGES: [&str; 4] = [
    "nginx",
    "libnginx-mod-http-lua",
    "lua-resty-core",
    "lua-cjson",
];

fn prefix() -> PathBuf {
    paths::run_dir().join("openresty")
}

fn conf() -> PathBuf {
    prefix().join("nginx.conf")
}

fn nginx_pid_file() -> PathBuf {
    prefix().join("logs/nginx.pid")
}

fn ensure_installed() -> TaskResult {
    let lua_cjson = Path::new("/usr/lib/x86_64-linux-gnu/lua/5.1/cjson.so").exists()
        || Path::new("/usr/lib/aarch64-linux-gnu/lua/5.1/cjson.so").exists();
    if Path::new(NGINX).exists() && Path::new(LUA_MODULE).exists() && lua_cjson {
        return Ok(());
    }
    if !infra::can_install_packages() {
        return fail(format!(
            "nginx with the Lua module is missing. Install it, for example:\n  sudo apt-get install -y {}",
            PACKAGES.join(" ")
        ));
    }
    println!("openresty  installing {}", PACKAGES.join(" "));
    infra::apt_install(&PACKAGES)
}

fn render(gateways: u16) -> TaskResult<String> {
    let template_path = paths::repo_root().join("openresty/nginx.conf");
    let template = fs::read_to_string(&template_path)
        .or_else(|error| fail(format!("cannot read {}: {error}", template_path.display())))?;
    let fallback: Vec<String> = (0..gateways)
        .map(|index| ports::nth(ports::GATEWAY_HTTP_BASE, index))
        .collect();
    Ok(template
        .replace("{{PREFIX}}", &prefix().to_string_lossy())
        .replace(
            "{{LUA_DIR}}",
            &paths::repo_root().join("openresty/lua").to_string_lossy(),
        )
        .replace("{{LISTEN}}", ports::PUBLIC)
        .replace("{{ROUTER_HTTP}}", ports::ROUTER_HTTP)
        .replace("{{GATEWAYS}}", &fallback.join(","))
        .replace("{{WORKERS}}", &workers(gateways).to_string())
        .replace("{{EXTRA_LISTEN}}", &extra_listens()))
}

/// More loopback addresses on the public port, for load tests: each destination address has
/// its own ephemeral ports, which 100,000 sessions from one machine need.
fn extra_listens() -> String {
    let port = ports::PUBLIC.rsplit(':').next().unwrap_or("8080");
    (2..=5)
        .map(|host| format!("        listen 127.0.0.{host}:{port} backlog=4096 reuseport;\n"))
        .collect()
}

/// Two nginx workers per gateway, at least four: a worker holds at most 9,500 proxied sessions
/// (two descriptors each, 20,000 per process), a gateway at most about 19,000.
fn workers(gateways: u16) -> u16 {
    gateways.saturating_mul(2).max(4)
}

fn nginx(args: &[&str]) -> Command {
    let mut command = Command::new(NGINX);
    command
        .arg("-p")
        .arg(prefix())
        .arg("-c")
        .arg(conf())
        .args(args);
    command
}

/// OpenResty runs our current configuration and answers `/healthz` on the public port.
pub fn ensure(gateways: u16) -> TaskResult {
    ensure_installed()?;
    for dir in ["logs", "temp"] {
        fs::create_dir_all(prefix().join(dir))?;
    }
    let rendered = render(gateways)?;
    let changed = fs::read_to_string(conf()).ok().as_deref() != Some(rendered.as_str());
    if changed {
        fs::write(conf(), &rendered)?;
        process::output(
            "checking the OpenResty configuration",
            &mut nginx(&["-t", "-q"]),
        )?;
    }
    if let Some(pid) = process::running_pid("openresty", "nginx") {
        if changed {
            process::output("reloading OpenResty", &mut nginx(&["-s", "reload"]))?;
            println!("openresty  configuration changed: reloaded (pid {pid})");
        } else {
            println!("openresty  already running (pid {pid})");
        }
        return Ok(());
    }
    if probe::tcp(ports::PUBLIC) {
        return fail(format!(
            "{} is taken by a process `up` did not start",
            ports::PUBLIC
        ));
    }
    process::output("starting OpenResty", &mut nginx(&[]))?;
    // nginx daemonizes itself; its master's pid is what `down` must stop.
    let started = process::wait_until(Duration::from_secs(10), || {
        fs::read_to_string(nginx_pid_file()).is_ok_and(|pid| !pid.trim().is_empty())
    });
    let pid = fs::read_to_string(nginx_pid_file())
        .ok()
        .and_then(|pid| pid.trim().parse().ok());
    let (true, Some(pid)) = (started, pid) else {
        return fail(format!(
            "OpenResty did not start; see {}",
            prefix().join("logs/error.log").display()
        ));
    };
    process::record_pid("openresty", pid)?;
    println!("openresty  started (pid {pid}) on {}", ports::PUBLIC);
    if !process::wait_until(Duration::from_secs(10), || {
        probe::http_ok(ports::PUBLIC, "/healthz")
    }) {
        return fail("OpenResty does not answer /healthz");
    }
    Ok(())
}
