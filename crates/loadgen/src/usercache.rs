//! Users kept across runs of the `connect` scenario: thousands of users cost two argon2
//! hashes each, so their ids and tokens (valid for days) are kept in a file under the run
//! directory and only the missing ones are made. A stale token shows as refused sessions; the
//! `--fresh-users` flag starts the file over.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::grpc::Channel;
use anyhow::Context;
use chat_proto::account::account_client::AccountClient;

use crate::users::{self, Account};
use crate::{pool, setup};

/// The file that keeps the users named after `prefix`.
pub fn path(run_dir: &Path, prefix: &str) -> PathBuf {
    run_dir.join("loadgen").join(format!("users-{prefix}.json"))
}

/// Reads the kept users (none when the file is missing or unreadable).
pub fn load(path: &Path) -> Vec<Account> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

fn save(path: &Path, accounts: &[Account]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, serde_json::to_string(accounts)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// At least `count` signed-in users named after `prefix`: the kept ones, then new ones
/// (registered unless they exist, and logged in), saved back to `path`.
pub async fn ensure(
    channel: Channel,
    path: &Path,
    prefix: &str,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<Vec<Account>> {
    let mut accounts = load(path);
    if accounts.len() >= count {
        accounts.truncate(count);
        return Ok(accounts);
    }
    let first = accounts.len();
    println!(
        "setup: {first} users kept in {}, signing in {} more (two argon2 hashes each)",
        path.display(),
        count - first
    );
    let client = AccountClient::new(channel);
    let prefix: Arc<str> = Arc::from(prefix);
    let made = pool::run_bounded(count - first, concurrency, |index| {
        let (client, prefix) = (client.clone(), prefix.clone());
        async move { users::ensure(client, &setup::username(&prefix, first + index)).await }
    })
    .await?;
    accounts.extend(made);
    save(path, &accounts)?;
    Ok(accounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_users_survive_a_round_trip_and_a_missing_file_is_empty() {
        let dir = std::env::temp_dir().join(format!("chat-loadgen-users-{}", std::process::id()));
        let file = path(&dir, "t");
        assert!(load(&file).is_empty());
        let accounts = vec![Account {
            user_id: 7,
            token: "tok".into(),
        }];
        save(&file, &accounts).unwrap();
        assert_eq!(load(&file), accounts);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
