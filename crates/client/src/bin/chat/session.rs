//! The signed-in session the CLI keeps between runs: `$XDG_CONFIG_HOME/chat/session.json`
//! (or `~/.config/chat/session.json`), readable by its owner only, since it holds a token.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What `chat login` stores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub server: String,
    pub token: String,
    pub user_id: u64,
    pub username: String,
}

/// Where the session lives, from the environment's `XDG_CONFIG_HOME` and `HOME`.
pub fn path(xdg_config_home: Option<&str>, home: Option<&str>) -> Result<PathBuf, String> {
    let base = match (xdg_config_home, home) {
        // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
        (Some(xdg), _) if Path::new(xdg).is_absolute() => PathBuf::from(xdg),
        (_, Some(home)) if !home.is_empty() => Path::new(home).join(".config"),
        _ => return Err("neither XDG_CONFIG_HOME nor HOME is set".into()),
    };
    Ok(base.join("chat").join("session.json"))
}

/// The session path of this process's environment.
pub fn default_path() -> Result<PathBuf, String> {
    let xdg = std::env::var("XDG_CONFIG_HOME").ok();
    let home = std::env::var("HOME").ok();
    path(xdg.as_deref(), home.as_deref())
}

/// The stored session, if any.
pub fn load(path: &Path) -> Result<Option<Session>, String> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|error| format!("{}: {error}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(format!("{}: {error}", path.display())),
    }
}

/// Stores a session: written to a temporary file created with mode 0600 and renamed over the
/// old one, so that the token is never readable by others, not even for a moment.
pub fn save(path: &Path, session: &Session) -> Result<(), String> {
    let fail = |error: std::io::Error| format!("{}: {error}", path.display());
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(fail)?;
    }
    let temporary = path.with_extension("json.tmp");
    let json = serde_json::to_vec_pretty(session).map_err(|error| error.to_string())?;
    let mut file = private_file(&temporary).map_err(fail)?;
    file.write_all(&json).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    fs::rename(&temporary, path).map_err(fail)
}

/// Forgets the session (nothing to do when there is none).
pub fn remove(path: &Path) -> Result<(), String> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("{}: {error}", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // `mode` applies only when the file is created; a leftover keeps its old mode otherwise.
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::File::create(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_config_home_wins_when_absolute_and_home_is_the_fallback() {
        assert_eq!(
            path(Some("/x/config"), Some("/home/ann")).unwrap(),
            PathBuf::from("/x/config/chat/session.json")
        );
        assert_eq!(
            path(Some("relative"), Some("/home/ann")).unwrap(),
            PathBuf::from("/home/ann/.config/chat/session.json")
        );
        assert_eq!(
            path(None, Some("/home/ann")).unwrap(),
            PathBuf::from("/home/ann/.config/chat/session.json")
        );
        assert!(path(None, None).is_err());
        assert!(path(Some(""), Some("")).is_err());
    }

    #[test]
    fn a_saved_session_reads_back_private_to_its_owner() {
        let dir = std::env::temp_dir().join(format!("chat-cli-test-{}", std::process::id()));
        let file = dir.join("chat").join("session.json");
        let session = Session {
            server: "http://127.0.0.1:8080".into(),
            token: "t".into(),
            user_id: 7,
            username: "ann".into(),
        };
        assert_eq!(load(&file).unwrap(), None);
        save(&file, &session).unwrap();
        save(&file, &session).unwrap();
        assert_eq!(load(&file).unwrap(), Some(session));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        remove(&file).unwrap();
        remove(&file).unwrap();
        assert_eq!(load(&file).unwrap(), None);
        let _ = fs::remove_dir_all(&dir);
    }
}
