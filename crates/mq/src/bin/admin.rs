//! `chat-mq-admin create-topic`: creates the push topic on every master broker. Idempotent.

// The rocketmq client's futures nest deeply; the default limit is too low for their layout.
#![recursion_limit = "256"]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

/// RocketMQ administration for the chat cluster.
#[derive(Debug, Parser)]
#[command(name = "chat-mq-admin", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create (or update) a topic on every master broker registered with the name server.
    CreateTopic {
        /// The name server (host:port).
        #[arg(long, env = "CHAT_ROCKETMQ_NAMESRV", default_value = "127.0.0.1:9876")]
        namesrv: String,
        /// The cluster whose push topic to create (`<cluster>-push`).
        #[arg(long, env = "CHAT_CLUSTER", default_value = chat_mq::naming::DEFAULT_CLUSTER,
              value_parser = chat_common::flags::parse_cluster)]
        cluster: String,
        /// Read and write queues per broker.
        #[arg(long, default_value_t = 4)]
        queues: u32,
        /// How long to wait for a master broker to be registered with the name server. A
        /// restarted name server learns of the brokers only at their next registration (every
        /// 30 s), so right after its restart it knows none.
        #[arg(long, default_value = "45s", value_parser = chat_common::flags::parse_duration)]
        wait: Duration,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: chat-mq-admin: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<String, String> {
    let Command::CreateTopic {
        namesrv,
        cluster,
        queues,
        wait,
    } = command;
    let topic = chat_mq::naming::push_topic(&cluster);
    let mq = chat_mq::MqRuntime::start().map_err(|error| error.to_string())?;
    let deadline = Instant::now() + wait;
    let outcome = loop {
        match chat_mq::admin::ensure_topic(&mq, &namesrv, &topic, queues).await {
            Err(chat_mq::MqError::NoBroker(_)) if Instant::now() < deadline => {
                eprintln!("chat-mq-admin: no master broker registered with {namesrv} yet; waiting");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            outcome => break outcome,
        }
    };
    mq.shutdown().await;
    let brokers = outcome.map_err(|error| error.to_string())?;
    Ok(format!(
        "topic {topic} ({queues} queues) ready on {}",
        brokers.join(", ")
    ))
}
