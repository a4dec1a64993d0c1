//! The `connect` scenario across processes: one process may hold at most 20,000 open files
//! here, so the sessions are split over child processes of this same binary. Each child opens
//! its slice, prints what it saw as one JSON line, holds its sessions until its stdin closes,
//! then exits.

use std::process::Stdio;
use std::time::Instant;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use super::ConnectArgs;
use super::worker::{self, Plan, Slice};
use crate::usercache;

/// A running child and when it was started.
pub struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    pub started: Instant,
}

/// Starts a child for `start..end` with the parent's flags.
pub fn spawn(
    args: &ConnectArgs,
    start: usize,
    end: usize,
    public_ips: &[String],
) -> anyhow::Result<Worker> {
    let exe = std::env::current_exe().context("finding this executable")?;
    let mut command = Command::new(exe);
    command
        .arg("connect")
        .args(["--worker-slice", &format!("{start}:{end}")])
        .args(["--sessions", &args.sessions.to_string()])
        .args(["--sessions-per-user", &args.sessions_per_user.to_string()])
        .args(["--users-prefix", &args.users_prefix])
        .args(["--server", &args.ws.server])
        .args([
            "--connect-concurrency",
            &args.ws.connect_concurrency.to_string(),
        ])
        .args([
            "--connect-timeout",
            &format!("{}ms", args.ws.connect_timeout.as_millis()),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for ip in public_ips {
        command.args(["--public-ip", ip]);
    }
    let mut child = command.spawn().context("starting a worker process")?;
    let stdin = child.stdin.take();
    Ok(Worker {
        child,
        stdin,
        started: Instant::now(),
    })
}

impl Worker {
    /// The child's report, once it has opened its slice.
    pub async fn report(&mut self) -> anyhow::Result<Slice> {
        let stdout = self
            .child
            .stdout
            .take()
            .context("the worker has no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .await
            .context("reading the worker's report")?;
        serde_json::from_str(&line).with_context(|| format!("a worker reported {line:?}"))
    }

    /// Closes the child's stdin (its sessions close) and waits for it to exit.
    pub async fn finish(mut self) -> anyhow::Result<()> {
        drop(self.stdin.take());
        let status = self.child.wait().await.context("waiting for a worker")?;
        anyhow::ensure!(status.success(), "a worker exited with {status}");
        Ok(())
    }
}

/// The child's side: open the slice, report it, hold until stdin closes.
pub async fn serve(args: &ConnectArgs, start: usize, end: usize) -> anyhow::Result<()> {
    let path = usercache::path(&crate::stack::run_dir(), &args.users_prefix);
    let accounts = usercache::load(&path);
    let plan = Plan {
        start,
        end,
        per_user: args.sessions_per_user as usize,
        public_ips: args.public_ips.clone(),
    };
    let (sessions, slice) = worker::open(&args.ws.dial()?, &accounts, &plan).await;
    let mut stdout = tokio::io::stdout();
    stdout
        .write_all(format!("{}\n", serde_json::to_string(&slice)?).as_bytes())
        .await?;
    stdout.flush().await?;
    let mut rest = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut rest).await;
    drop(sessions);
    Ok(())
}
