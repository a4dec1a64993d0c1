//! What each `chat` command does.

use std::io::Write;

use chat_client::wire::{Content, ConversationKind, SendRequest};
use chat_client::{Client, ClientError, Config, Event, FileKind, Rest, RestError, StartFrom};
use serde::Serialize;

use crate::session::{self, Session};
use crate::{Command, DEFAULT_SERVER, Kind};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Rest(#[from] RestError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("{0}")]
    Usage(String),
    #[error("writing the output: {0}")]
    Output(#[from] std::io::Error),
}

impl CliError {
    /// Output piped into a command that stopped reading (`chat tail | head`) is no failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Output(error) if error.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Runs one command.
pub async fn run(server: Option<String>, command: Command) -> Result<(), CliError> {
    let path = session::default_path().map_err(CliError::Usage)?;
    match command {
        Command::Register { username, password } => {
            let rest = Rest::new(&server_or_default(server, None))?;
            print_json(&rest.register(&username, &password).await?)
        }
        Command::Login { username, password } => {
            let server = server_or_default(server, None);
            let login = Rest::new(&server)?.login(&username, &password).await?;
            let stored = Session {
                server,
                token: login.token,
                user_id: login.user.user_id,
                username: login.user.username.clone(),
            };
            session::save(&path, &stored).map_err(CliError::Usage)?;
            print_json(&login.user)
        }
        Command::Send { to, text } => {
            let (rest, _) = signed_in(server, &path)?;
            let (kind, target_id) = parse_target(&to).map_err(CliError::Usage)?;
            let request = SendRequest {
                kind,
                target_id,
                client_msg_id: cli_message_id(),
                content: Content::Text { text },
            };
            print_json(&rest.send(&request).await?)
        }
        Command::SendFile {
            to,
            path: file,
            kind,
            duration_ms,
        } => {
            let (rest, _) = signed_in(server, &path)?;
            let (target_kind, target_id) = parse_target(&to).map_err(CliError::Usage)?;
            let (name, bytes) = read_file(&file)?;
            let uploaded = rest.upload(file_kind(kind), &name, bytes).await?;
            let request = SendRequest {
                kind: target_kind,
                target_id,
                client_msg_id: cli_message_id(),
                content: file_content(kind, uploaded.file_id, duration_ms),
            };
            print_json(&rest.send(&request).await?)
        }
        Command::Fetch { file_id, out } => {
            let (rest, _) = signed_in(server, &path)?;
            let bytes = rest.download(file_id).await?;
            std::fs::write(&out, &bytes)
                .map_err(|error| CliError::Usage(format!("{}: {error}", out.display())))?;
            eprintln!("{} bytes written to {}", bytes.len(), out.display());
            Ok(())
        }
        Command::Avatar { path: file, .. } => {
            let (rest, _) = signed_in(server, &path)?;
            let file_id = match file {
                Some(file) => {
                    let (name, bytes) = read_file(&file)?;
                    Some(rest.upload(FileKind::Image, &name, bytes).await?.file_id)
                }
                None => None,
            };
            print_json(&rest.set_avatar(file_id).await?)
        }
        Command::Search { text } => {
            let (rest, _) = signed_in(server, &path)?;
            for hit in rest.search_users(&text).await? {
                print_json(&hit)?;
            }
            Ok(())
        }
        Command::AddFriend { user_id, message } => {
            let (rest, _) = signed_in(server, &path)?;
            print_json(&rest.send_friend_request(user_id, &message).await?)
        }
        Command::Requests => {
            let (rest, _) = signed_in(server, &path)?;
            for request in rest.incoming_friend_requests().await? {
                print_json(&request)?;
            }
            Ok(())
        }
        Command::Accept { request_id } => {
            let (rest, _) = signed_in(server, &path)?;
            print_json(&rest.accept_friend_request(request_id).await?)
        }
        Command::Tail { latest } => tail(server, &path, latest).await,
        Command::Conversations => {
            let (rest, _) = signed_in(server, &path)?;
            for conversation in rest.conversations().await? {
                print_json(&conversation)?;
            }
            Ok(())
        }
        Command::History {
            conversation_id,
            before,
            limit,
        } => history(server, &path, &conversation_id, before, limit).await,
        Command::Logout => {
            let (rest, _) = signed_in(server, &path)?;
            match rest.logout().await {
                // A token that no longer works is as good as logged out.
                Err(RestError::Api(error)) if error.status != 401 => {
                    return Err(RestError::Api(error).into());
                }
                Err(error @ (RestError::Transport(_) | RestError::InvalidUrl(_))) => {
                    return Err(error.into());
                }
                _ => {}
            }
            session::remove(&path).map_err(CliError::Usage)
        }
    }
}

/// Prints events until the client stops or Ctrl-C.
async fn tail(
    server: Option<String>,
    path: &std::path::Path,
    latest: bool,
) -> Result<(), CliError> {
    let (_, stored) = signed_in(server.clone(), path)?;
    let mut config = Config::new(
        server_or_default(server, Some(&stored)),
        stored.token,
        stored.user_id,
    );
    if latest {
        config.start = StartFrom::Latest;
    }
    let (client, mut events) = Client::connect(config).await?;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => {
                    print_json(&event)?;
                    if let Event::Unauthorized { .. } = event {
                        return Err(CliError::Usage("the session was refused; log in again".into()));
                    }
                }
                None => return Ok(()),
            },
            _ = tokio::signal::ctrl_c() => {
                client.close().await;
                return Ok(());
            }
        }
    }
}

/// One page before `before`, printed oldest first, with a hint for the next page.
async fn history(
    server: Option<String>,
    path: &std::path::Path,
    conversation_id: &str,
    before: u64,
    limit: u32,
) -> Result<(), CliError> {
    let (rest, _) = signed_in(server, path)?;
    let page = rest.history(conversation_id, before, limit).await?;
    for message in page.messages.iter().rev() {
        print_json(message)?;
    }
    if let Some(oldest) = page.messages.last().filter(|_| page.has_more) {
        eprintln!("(older messages: --before {})", oldest.seq);
    }
    Ok(())
}

/// The REST API as the stored session's user.
fn signed_in(server: Option<String>, path: &std::path::Path) -> Result<(Rest, Session), CliError> {
    let stored = session::load(path)
        .map_err(CliError::Usage)?
        .ok_or_else(|| {
            CliError::Usage("not logged in: run `chat login <user> <password>`".into())
        })?;
    let rest =
        Rest::new(&server_or_default(server, Some(&stored)))?.with_token(stored.token.clone());
    Ok((rest, stored))
}

/// The `--server` flag, else the session's server, else the local stack.
fn server_or_default(flag: Option<String>, stored: Option<&Session>) -> String {
    flag.or_else(|| stored.map(|session| session.server.clone()))
        .unwrap_or_else(|| DEFAULT_SERVER.to_owned())
}

/// `42` is user 42 (direct), `g:7` is group 7.
fn parse_target(to: &str) -> Result<(ConversationKind, u64), String> {
    let (kind, id) = match to.strip_prefix("g:") {
        Some(group) => (ConversationKind::Group, group),
        None => (ConversationKind::Direct, to),
    };
    match id.parse::<u64>() {
        Ok(id) if id > 0 => Ok((kind, id)),
        _ => Err(format!("{to:?} is neither a user id nor g:<group id>")),
    }
}

/// A file's name (its last path component) and bytes.
fn read_file(file: &std::path::Path) -> Result<(String, Vec<u8>), CliError> {
    let bytes = std::fs::read(file)
        .map_err(|error| CliError::Usage(format!("{}: {error}", file.display())))?;
    let name = file.file_name().map_or_else(
        || "file".to_owned(),
        |name| name.to_string_lossy().into_owned(),
    );
    Ok((name, bytes))
}

fn file_kind(kind: Kind) -> FileKind {
    match kind {
        Kind::Image => FileKind::Image,
        Kind::Voice => FileKind::Voice,
        Kind::File => FileKind::File,
    }
}

/// The content that carries an upload; the server fills in the rest from what it stored.
fn file_content(kind: Kind, file_id: u64, duration_ms: u32) -> Content {
    match kind {
        Kind::Image => Content::Image {
            url: String::new(),
            size_bytes: 0,
            width: 0,
            height: 0,
            mime: String::new(),
            file_id,
            thumbnail_url: String::new(),
        },
        Kind::Voice => Content::Voice {
            url: String::new(),
            size_bytes: 0,
            duration_ms,
            mime: String::new(),
            file_id,
        },
        Kind::File => Content::File {
            url: String::new(),
            size_bytes: 0,
            name: String::new(),
            mime: String::new(),
            file_id,
        },
    }
}

/// A fresh `client_msg_id` for a one-shot send.
fn cli_message_id() -> String {
    let random = getrandom::u64().unwrap_or_else(|_| u64::from(std::process::id()));
    format!("cli-{random:016x}")
}

/// One JSON object on one line of standard output.
fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let line = serde_json::to_string(value)
        .map_err(|error| CliError::Usage(format!("cannot show the answer: {error}")))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_user_ids_or_group_ids() {
        assert_eq!(parse_target("42"), Ok((ConversationKind::Direct, 42)));
        assert_eq!(parse_target("g:7"), Ok((ConversationKind::Group, 7)));
        for bad in ["", "0", "g:", "g:x", "d:1:2", "-3", "ann"] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_flag_beats_the_session_which_beats_the_default() {
        let stored = Session {
            server: "http://stored:1".into(),
            token: "t".into(),
            user_id: 1,
            username: "a".into(),
        };
        assert_eq!(
            server_or_default(Some("http://flag:2".into()), Some(&stored)),
            "http://flag:2"
        );
        assert_eq!(server_or_default(None, Some(&stored)), "http://stored:1");
        assert_eq!(server_or_default(None, None), DEFAULT_SERVER);
    }

    #[test]
    fn cli_message_ids_fit_the_api_limit() {
        let id = cli_message_id();
        assert!(id.starts_with("cli-") && id.len() <= 64, "{id}");
        assert_ne!(id, cli_message_id());
    }
}
