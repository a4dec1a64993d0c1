//! The fault itself, at its time in the window: the component found, killed with SIGKILL
//! (no chance to close sessions or hand anything over) and started again after the down
//! time, as a supervisor would, or the stack's Redis database flushed; then probed until it
//! is healthy again.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::watch;

use super::fault::{self, Fault, Target};
use super::relaunch::Relaunch;
use super::resp::RedisDb;
use super::victim::{self, Gateway};
use crate::sampler::WatchSpec;
use crate::stack::StackFile;

/// How long a component may take to be healthy again before the run gives up on it.
const PATIENCE: Duration = Duration::from_secs(60);

/// The fault to inject and where.
#[derive(Debug, Clone)]
pub struct Injection {
    pub fault: Fault,
    pub at: Instant,
    /// Between the kill and the restart.
    pub down_for: Duration,
    /// `--victim`: the gateway to kill instead of the busiest.
    pub victim: Option<String>,
    pub stack: StackFile,
    pub run_dir: PathBuf,
    pub watch: Vec<WatchSpec>,
    /// The stack's gateways and their tags (for a gateway fault).
    pub gateways: Vec<Gateway>,
}

/// The fault that happened.
#[derive(Debug, Clone)]
pub struct Strike {
    pub fault: Fault,
    /// The component hit (`gateway-1`, `broker`, `redis`).
    pub component: String,
    /// What it was when hit, in words (`gw-1, holding 200 of 200 sessions`).
    pub detail: String,
    pub at: Instant,
    /// How long it stayed down before it was started again; `None` for a flush.
    pub down: Option<Duration>,
    /// From the fault until it was healthy again; `None` when it was not within the patience.
    pub healthy_after: Option<Duration>,
}

/// At `injection.at`, injects the fault; `tags` are the clients' current gateways.
pub async fn inject(
    injection: Injection,
    tags: Vec<watch::Receiver<String>>,
) -> anyhow::Result<Strike> {
    tokio::time::sleep_until(injection.at.into()).await;
    let now: Vec<String> = tags.iter().map(|tag| tag.borrow().clone()).collect();
    let (gateway, detail) = match injection.fault {
        Fault::Gateway => {
            let (gateway, held) =
                victim::choose(&injection.gateways, injection.victim.as_deref(), &now)?;
            let detail = format!("{}, holding {held} of {} sessions", gateway.tag, now.len());
            (Some(gateway.name), detail)
        }
        _ => (None, String::new()),
    };
    let target = fault::target(
        injection.fault,
        &injection.stack,
        &injection.run_dir,
        &injection.watch,
        gateway.as_deref(),
    )?;
    let (at, down, detail) = match target.pid {
        Some(pid) => {
            let (at, down) = kill_and_restart(&injection, &target, pid).await?;
            let detail = if detail.is_empty() {
                format!("pid {pid}")
            } else {
                detail
            };
            (at, Some(down), detail)
        }
        None => {
            RedisDb::parse(&injection.stack.redis_url)?
                .command(&["FLUSHDB"])
                .await?;
            let at = Instant::now();
            println!("failover: flushed the stack's Redis database");
            (at, None, injection.stack.redis_url.clone())
        }
    };
    let healthy = target.probe.wait(&injection.stack.bin_dir, PATIENCE).await;
    let healthy_after = healthy.map(|healthy| healthy.saturating_duration_since(at));
    match healthy_after {
        Some(after) => println!(
            "failover: {} healthy again {:.2} s after the fault",
            target.component,
            after.as_secs_f64()
        ),
        None => println!(
            "failover: {} not healthy within {PATIENCE:?}",
            target.component
        ),
    }
    Ok(Strike {
        fault: injection.fault,
        component: target.component,
        detail,
        at,
        down,
        healthy_after,
    })
}

/// SIGKILL, the down time, then the same process started again: when it was killed and how
/// long it was down.
async fn kill_and_restart(
    injection: &Injection,
    target: &Target,
    pid: u32,
) -> anyhow::Result<(Instant, Duration)> {
    let relaunch = Relaunch::capture(&target.component, pid, &injection.run_dir)?;
    let status = tokio::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .await
        .context("running kill")?;
    anyhow::ensure!(status.success(), "kill -KILL {pid} failed ({status})");
    let at = Instant::now();
    println!("failover: killed {} (pid {pid})", target.component);
    tokio::time::sleep(injection.down_for).await;
    let restarted = relaunch.spawn()?;
    let down = at.elapsed();
    println!(
        "failover: started {} again (pid {restarted}) after {:.2} s down",
        target.component,
        down.as_secs_f64()
    );
    Ok((at, down))
}
