//! Rate limits at the edge, shared by every gateway of the cluster through Redis
//! (`chat_common::ratelimit`): per user and per client address, for each action a client can
//! repeat cheaply but that costs the cluster (an argon2 hash, a search, a stored message).
//! A refusal is `RateLimited`: 429 with `Retry-After` over REST, a `rate_limited` error frame
//! with `retry_after_s` over the WebSocket.
//!
//! Failed logins have their own, stricter limits in the account service (per username and
//! address, growing lockouts); the login limit here counts every attempt of an address.

use std::fmt;

use chat_common::ServiceError;
use chat_common::ratelimit::{Check, Rate, RateLimiter, parse_limit};

/// What a limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Login,
    Register,
    Send,
    Typing,
    Search,
    /// Joining a group (or asking to): a group password is an argon2 hash.
    Join,
    Upload,
}

impl Action {
    const ALL: [Action; 7] = [
        Action::Login,
        Action::Register,
        Action::Send,
        Action::Typing,
        Action::Search,
        Action::Join,
        Action::Upload,
    ];

    fn name(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Register => "register",
            Action::Send => "send",
            Action::Typing => "typing",
            Action::Search => "search",
            Action::Join => "join",
            Action::Upload => "upload",
        }
    }

    /// Whether the caller is known when this action is limited (not before signing in).
    fn has_user(self) -> bool {
        !matches!(self, Action::Login | Action::Register)
    }

    /// The limits a gateway starts with: (per user, per address). An address is shared by
    /// everyone behind one NAT, so its limits are several users' worth.
    fn defaults(self) -> (Option<Rate>, Option<Rate>) {
        match self {
            Action::Login => (None, Some(Rate::per_minute(30))),
            Action::Register => (None, Some(Rate::per_hour(20))),
            Action::Send => (Some(Rate::per_second(20)), Some(Rate::per_second(200))),
            Action::Typing => (Some(Rate::per_second(5)), Some(Rate::per_second(100))),
            Action::Search => (Some(Rate::per_minute(30)), Some(Rate::per_minute(120))),
            Action::Join => (Some(Rate::per_minute(20)), Some(Rate::per_minute(60))),
            Action::Upload => (Some(Rate::per_minute(60)), Some(Rate::per_minute(300))),
        }
    }
}

/// Whose requests a limit counts together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    User,
    Addr,
}

/// One `--rate-limit` setting: `send.user=20/s`, `register.addr=off`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitSetting {
    pub action: Action,
    pub scope: Scope,
    pub rate: Option<Rate>,
}

/// Parses `ACTION.SCOPE=RATE` (see [`help`]).
pub fn parse_setting(text: &str) -> Result<LimitSetting, String> {
    let (name, rate) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not ACTION.SCOPE=RATE (like send.user=20/s)"))?;
    let (action, scope) = name
        .trim()
        .split_once('.')
        .ok_or_else(|| format!("`{name}` is not ACTION.SCOPE (like send.user)"))?;
    let action = Action::ALL
        .into_iter()
        .find(|known| known.name() == action)
        .ok_or_else(|| format!("`{action}` is not an action ({})", action_names()))?;
    let scope = match scope {
        "user" if action.has_user() => Scope::User,
        "user" => {
            return Err(format!(
                "{} is limited per address only (the caller is not signed in yet)",
                action.name()
            ));
        }
        "addr" => Scope::Addr,
        other => return Err(format!("`{other}` is not a scope (user or addr)")),
    };
    Ok(LimitSetting {
        action,
        scope,
        rate: parse_limit(rate)?,
    })
}

fn action_names() -> String {
    Action::ALL.map(Action::name).join(", ")
}

struct Shown(Option<Rate>);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(rate) => rate.fmt(f),
            None => f.write_str("-"),
        }
    }
}

/// The flag's long help: the format and the table of defaults.
pub fn help() -> String {
    let mut text = String::from(
        "Overrides a rate limit, as ACTION.SCOPE=RATE (repeat the flag or separate with commas). \
         SCOPE is user or addr (the client address); RATE is COUNT/PERIOD (20/s, 60/m, 10/h, \
         5/10s: COUNT may come at once, then one per PERIOD/COUNT) or off. Limits hold across \
         every gateway of the cluster (kept in Redis). Defaults (user, addr):\n",
    );
    for action in Action::ALL {
        let (user, addr) = action.defaults();
        text.push_str(&format!(
            "  {:<9} {:>6} {:>6}\n",
            action.name(),
            Shown(user).to_string(),
            Shown(addr).to_string()
        ));
    }
    text
}

/// The limits of one gateway.
pub struct Limits {
    /// None in unit tests of routes that never reach a limit.
    limiter: Option<RateLimiter>,
    table: Vec<(Action, Option<Rate>, Option<Rate>)>,
}

impl Limits {
    /// The defaults with `settings` applied in order (a later one wins).
    pub fn new(limiter: RateLimiter, settings: &[LimitSetting]) -> Self {
        let mut table: Vec<_> = Action::ALL
            .into_iter()
            .map(|action| {
                let (user, addr) = action.defaults();
                (action, user, addr)
            })
            .collect();
        for setting in settings {
            for (action, user, addr) in &mut table {
                if *action == setting.action {
                    match setting.scope {
                        Scope::User => *user = setting.rate,
                        Scope::Addr => *addr = setting.rate,
                    }
                }
            }
        }
        Self {
            limiter: Some(limiter),
            table,
        }
    }

    /// No limits at all, for unit tests without Redis.
    #[cfg(test)]
    pub fn disabled() -> Self {
        Self {
            limiter: None,
            table: Vec::new(),
        }
    }

    fn rates(&self, action: Action) -> (Option<Rate>, Option<Rate>) {
        self.table
            .iter()
            .find(|(known, ..)| *known == action)
            .map_or((None, None), |(_, user, addr)| (*user, *addr))
    }

    /// Counts one `action` of `user` (when signed in) from `addr`, or refuses it with the wait.
    pub async fn check(
        &self,
        action: Action,
        user: Option<u64>,
        addr: &str,
    ) -> Result<(), ServiceError> {
        match &self.limiter {
            Some(limiter) => {
                limiter
                    .check(&checks(action, self.rates(action), user, addr))
                    .await
            }
            None => Ok(()),
        }
    }
}

/// The Redis checks for one request: `<action>:u:<user>` and `<action>:a:<address>`.
fn checks(
    action: Action,
    (per_user, per_addr): (Option<Rate>, Option<Rate>),
    user: Option<u64>,
    addr: &str,
) -> Vec<Check> {
    let mut checks = Vec::with_capacity(2);
    if let (Some(rate), Some(user)) = (per_user, user) {
        checks.push(Check {
            key: format!("{}:u:{user}", action.name()),
            rate,
        });
    }
    if let Some(rate) = per_addr
        && !addr.is_empty()
    {
        checks.push(Check {
            key: format!("{}:a:{addr}", action.name()),
            rate,
        });
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_refuse_what_cannot_be() {
        assert_eq!(
            parse_setting("send.user=5/s"),
            Ok(LimitSetting {
                action: Action::Send,
                scope: Scope::User,
                rate: Some(Rate::per_second(5)),
            })
        );
        assert_eq!(parse_setting("register.addr=off").map(|s| s.rate), Ok(None));
        for bad in [
            "send.user",
            "send=5/s",
            "shout.user=5/s",
            "send.host=5/s",
            "login.user=5/s",
            "send.user=5",
        ] {
            assert!(parse_setting(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn keys_name_the_action_and_whoever_is_known() {
        let rates = (Some(Rate::per_second(1)), Some(Rate::per_second(2)));
        let keys = |user, addr| {
            checks(Action::Send, rates, user, addr)
                .into_iter()
                .map(|check| check.key)
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(Some(7), "10.0.0.1"), ["send:u:7", "send:a:10.0.0.1"]);
        assert_eq!(keys(None, "::1"), ["send:a:::1"]);
        assert!(
            keys(None, "").is_empty(),
            "no address, no user: nothing to count"
        );
        let off = checks(Action::Send, (None, None), Some(7), "10.0.0.1");
        assert!(off.is_empty());
    }

    #[test]
    fn the_help_lists_every_action_with_its_defaults() {
        let help = help();
        for action in Action::ALL {
            assert!(help.contains(action.name()), "{}", action.name());
        }
        assert!(help.contains("  send        20/s  200/s"), "{help}");
        assert!(help.contains("  register       -   20/h"), "{help}");
    }
}
