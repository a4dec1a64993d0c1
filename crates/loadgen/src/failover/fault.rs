//! What the failover scenario breaks, and how each component is found, checked and brought
//! back: the component names are those of `stack.json` and `cargo xtask status`.

use std::path::Path;

use anyhow::Context;
use clap::ValueEnum;

use super::health::Probe;
use super::resp::RedisDb;
use crate::sampler::WatchSpec;
use crate::stack::{self, StackFile};

/// One fault, injected under load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fault {
    /// kill -9 of the gateway holding the most of the run's sessions (or `--victim`).
    Gateway,
    /// kill -9 of the router.
    Router,
    /// kill -9 of the message service.
    Message,
    /// kill -9 of the account service.
    Account,
    /// kill -9 of the RocketMQ broker.
    Broker,
    /// kill -9 of the RocketMQ name server.
    Namesrv,
    /// FLUSHDB of the stack's Redis database (leases, slot table, presence, caches).
    RedisFlush,
}

impl Fault {
    /// The name the flag takes (`redis-flush`).
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|value| value.get_name().to_owned())
            .unwrap_or_default()
    }
}

/// The component a fault hits and how to tell it is healthy again.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its component name (`gateway-1`, `broker`, `redis`).
    pub component: String,
    /// The process to kill; `None` for a flush.
    pub pid: Option<u32>,
    pub probe: Probe,
}

/// The target of `fault` in the stack `stack.json` describes; `gateway` names the gateway
/// when the fault is a gateway's.
pub fn target(
    fault: Fault,
    stack: &StackFile,
    run_dir: &Path,
    watch: &[WatchSpec],
    gateway: Option<&str>,
) -> anyhow::Result<Target> {
    let process = |component: &str, probe: Probe| -> anyhow::Result<Target> {
        let pid = stack::pid_of(run_dir, component, watch)
            .with_context(|| format!("no pid for {component} (pass --watch {component}=PID)"))?;
        Ok(Target {
            component: component.to_owned(),
            pid: Some(pid),
            probe,
        })
    };
    match fault {
        Fault::Gateway => {
            let name = gateway.context("no gateway chosen")?;
            let entry = stack
                .gateways
                .iter()
                .find(|entry| entry.name == name)
                .with_context(|| format!("{name}: no such gateway in stack.json"))?;
            process(name, Probe::Grpc(entry.grpc.clone()))
        }
        Fault::Router => process("router", Probe::Grpc(stack.router.grpc.clone())),
        Fault::Message => process("message", Probe::Grpc(stack.message.grpc.clone())),
        Fault::Account => process("account", Probe::Grpc(stack.account.grpc.clone())),
        Fault::Broker => process("broker", Probe::Tcp(stack.rocketmq.broker.clone())),
        Fault::Namesrv => process("namesrv", Probe::Tcp(stack.rocketmq.namesrv.clone())),
        Fault::RedisFlush => Ok(Target {
            component: "redis".into(),
            pid: None,
            // Recovered once the router has written its slot table back.
            probe: Probe::RedisKey {
                redis: RedisDb::parse(&stack.redis_url)?,
                key: format!("{}:router:table", stack.cluster),
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_named_as_the_flag_takes_them() {
        assert_eq!(Fault::RedisFlush.name(), "redis-flush");
        assert_eq!(Fault::Broker.name(), "broker");
        assert_eq!(Fault::from_str("namesrv", false), Ok(Fault::Namesrv));
    }
}
