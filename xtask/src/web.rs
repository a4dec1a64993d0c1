//! The web client (`web/`): installed with npm once (packages cached under
//! `~/.cache/chat-cluster/npm`), built by Vite into `web/dist` when its sources changed, served by
//! the gateways (`--web-dir`), and tested in Debian's Chromium through OpenResty.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::{TaskResult, fail, infra, paths, process};

/// The client's sources.
pub fn dir() -> PathBuf {
    paths::repo_root().join("web")
}

/// Where the build lands; what the gateways serve.
pub fn dist() -> PathBuf {
    dir().join("dist")
}

/// The browser the end-to-end tests drive (Debian's; Playwright cannot download its own here).
pub const CHROMIUM: &str = "/usr/bin/chromium";

fn npm(args: &[&str]) -> Command {
    let mut command = Command::new("npm");
    command
        .current_dir(dir())
        .args(args)
        .env("npm_config_cache", paths::cache_dir().join("npm"))
        .env("npm_config_fund", "false")
        .env("npm_config_audit", "false")
        .env("npm_config_update_notifier", "false");
    command
}

/// `npm ci` when `node_modules` is missing or older than the lock file, then `vite build` when
/// any source is newer than the last build.
pub fn ensure_built() -> TaskResult {
    if !dir().join("package.json").exists() {
        return Ok(());
    }
    let lock = dir().join("package-lock.json");
    let installed = dir().join("node_modules/.package-lock.json");
    if newest(&[lock]) > process::modified(&installed) {
        println!("web        npm ci");
        process::run(
            "npm ci",
            &mut npm(&["ci", "--no-audit", "--prefer-offline"]),
        )?;
    }
    let built = process::modified(&dist().join("index.html"));
    let sources = [
        dir().join("src"),
        dir().join("index.html"),
        dir().join("package-lock.json"),
        dir().join("vite.config.ts"),
        dir().join("public"),
    ];
    if built.is_some() && newest(&sources) <= built {
        println!("web        web/dist is up to date");
        return Ok(());
    }
    println!("web        npm run build (into web/dist)");
    process::run("npm run build", &mut npm(&["run", "build"]))
}

/// The client's unit tests (Vitest, pure logic).
pub fn unit() -> TaskResult {
    process::run("web unit tests", &mut npm(&["test"]))
}

/// The browser tests against the running stack's public address.
pub fn e2e(public_url: &str) -> TaskResult {
    // Chromium, and a CJK font so that the Chinese screenshots show text rather than boxes.
    let fonts = Path::new("/usr/share/fonts/truetype/wqy");
    if !Path::new(CHROMIUM).exists() || !fonts.exists() {
        if !infra::can_install_packages() {
            return fail(format!(
                "the browser tests need Chromium at {CHROMIUM} and a CJK font \
                 (apt-get install chromium fonts-wqy-zenhei)"
            ));
        }
        infra::apt_install(&["chromium", "fonts-wqy-zenhei"])?;
    }
    process::run(
        "browser tests",
        npm(&["run", "e2e"])
            .env("CHAT_WEB_URL", public_url)
            .env("CHROMIUM", CHROMIUM),
    )
}

/// The newest modification time under any of `paths` (files, or directories walked).
fn newest(paths: &[PathBuf]) -> Option<SystemTime> {
    let mut newest = None;
    let mut pending: Vec<PathBuf> = paths.to_vec();
    while let Some(path) = pending.pop() {
        let Ok(meta) = fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(entries) = fs::read_dir(&path) {
                pending.extend(entries.flatten().map(|entry| entry.path()));
            }
        } else if let Ok(modified) = meta.modified() {
            newest = newest.max(Some(modified));
        }
    }
    newest
}
