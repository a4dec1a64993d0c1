//! Graceful shutdown: one token that every task watches, cancelled by SIGTERM or SIGINT.

use tokio_util::sync::CancellationToken;

/// A cloneable handle that tells tasks the process is stopping.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    /// A handle that is cancelled by SIGTERM or SIGINT (and by [`Shutdown::trigger`]).
    pub fn on_signals() -> Self {
        let shutdown = Self::default();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            let signal = wait_for_signal().await;
            tracing::info!(signal, "shutdown requested");
            trigger.trigger();
        });
        shutdown
    }

    /// Starts the shutdown from inside the process (e.g. a fatal task error).
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// Completes when shutdown has started.
    pub async fn wait(&self) {
        self.token.cancelled().await;
    }

    /// Whether shutdown has started.
    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Ticks every `every` (the first at once; a late tick is delayed, not bunched up) until
    /// shutdown, for periodic tasks: `while ticks.next().await { ... }`.
    pub fn ticks(&self, every: std::time::Duration) -> Ticks {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Ticks {
            interval,
            shutdown: self.clone(),
        }
    }

    /// A future that completes on shutdown, owning its own handle (for `serve_with_shutdown`).
    pub fn signalled(&self) -> impl Future<Output = ()> + Send + 'static {
        let token = self.token.clone();
        async move { token.cancelled().await }
    }
}

/// See [`Shutdown::ticks`].
pub struct Ticks {
    interval: tokio::time::Interval,
    shutdown: Shutdown,
}

impl Ticks {
    /// Waits for the next tick: true, or false once shutdown started.
    pub async fn next(&mut self) -> bool {
        tokio::select! {
            _ = self.shutdown.wait() => false,
            _ = self.interval.tick() => true,
        }
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers; stopping only on Ctrl-C");
        let _ = tokio::signal::ctrl_c().await;
        return "ctrl-c";
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "ctrl-c"
}
