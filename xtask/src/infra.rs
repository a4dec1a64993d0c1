//! MariaDB and Redis: used as they are when they answer, otherwise installed (Debian, as root)
//! and started; and the OS packages other components need.

use std::path::Path;
use std::process::Command;
use std::sync::Once;
use std::time::Duration;

use crate::components::ports;
use crate::{TaskResult, fail, probe, process};

/// The databases the services own (each service creates its own tables at start-up).
pub const DATABASES: [&str; 2] = ["chat_account", "chat_message"];

/// Whether packages can be installed here without asking anyone (Debian, running as root).
pub fn can_install_packages() -> bool {
    let root = process::output("id", Command::new("id").arg("-u"))
        .map(|uid| uid.trim() == "0")
        .unwrap_or(false);
    root && Path::new("/etc/debian_version").exists() && Path::new("/usr/bin/apt-get").exists()
}

/// Installs Debian packages (apt-get update runs once per xtask run).
pub fn apt_install(packages: &[&str]) -> TaskResult {
    static UPDATE: Once = Once::new();
    let mut updated = Ok(());
    UPDATE.call_once(|| {
        println!("  apt-get update");
        updated = process::run(
            "apt-get update",
            Command::new("apt-get").args(["update", "-qq"]),
        );
    });
    updated?;
    println!("  apt-get install {}", packages.join(" "));
    process::run(
        "apt-get install",
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// MariaDB answers on 127.0.0.1:3306 and the services' databases exist.
pub fn ensure_mariadb() -> TaskResult {
    if probe::tcp(ports::MARIADB) {
        println!("mariadb    using the server on {}", ports::MARIADB);
    } else {
        start_mariadb()?;
    }
    let statements: String = DATABASES
        .iter()
        .map(|db| format!("CREATE DATABASE IF NOT EXISTS {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"))
        .collect();
    process::output("creating the databases", &mut sql_client(&statements))?;
    println!("mariadb    databases ready: {}", DATABASES.join(", "));
    Ok(())
}

fn sql_client(statements: &str) -> Command {
    let client = if Path::new("/usr/bin/mariadb").exists() {
        "mariadb"
    } else {
        "mysql"
    };
    let mut command = Command::new(client);
    command.args([
        "-h",
        "127.0.0.1",
        "-P",
        "3306",
        "-u",
        "root",
        "-e",
        statements,
    ]);
    command
}

fn start_mariadb() -> TaskResult {
    if !can_install_packages() {
        return fail(
            "MariaDB does not answer on 127.0.0.1:3306. Start it, for example:\n  \
             sudo apt-get install -y mariadb-server && sudo service mariadb start",
        );
    }
    if !Path::new("/usr/sbin/mariadbd").exists() {
        apt_install(&["mariadb-server", "mariadb-client"])?;
    }
    println!("mariadb    starting /usr/sbin/mariadbd");
    process::spawn(
        "mariadb",
        Command::new("/usr/sbin/mariadbd").args(["--user=mysql", "--bind-address=127.0.0.1"]),
    )?;
    if !process::wait_until(Duration::from_secs(60), || probe::tcp(ports::MARIADB)) {
        return fail(format!(
            "MariaDB did not start within 60 s; its log ends with:\n{}",
            process::log_tail("mariadb", 15)
        ));
    }
    // A fresh Debian install lets root in only over the Unix socket; the services connect over
    // TCP as root without a password, as on the machines this project targets.
    process::output(
        "allowing root over TCP",
        Command::new("mariadb").args([
            "-u",
            "root",
            "-e",
            "ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');",
        ]),
    )?;
    Ok(())
}

/// Redis answers PING on 127.0.0.1:6379.
pub fn ensure_redis() -> TaskResult {
    if probe::redis(ports::REDIS) {
        println!("redis      using the server on {}", ports::REDIS);
        return Ok(());
    }
    if !can_install_packages() {
        return fail(
            "Redis does not answer on 127.0.0.1:6379. Start it, for example:\n  \
             sudo apt-get install -y redis-server && redis-server --daemonize yes --bind 127.0.0.1",
        );
    }
    if !Path::new("/usr/bin/redis-server").exists() {
        apt_install(&["redis-server"])?;
    }
    println!("redis      starting redis-server");
    process::spawn(
        "redis",
        Command::new("/usr/bin/redis-server").args([
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
        ]),
    )?;
    if !process::wait_until(Duration::from_secs(20), || probe::redis(ports::REDIS)) {
        return fail(format!(
            "Redis did not start within 20 s; its log ends with:\n{}",
            process::log_tail("redis", 15)
        ));
    }
    Ok(())
}
