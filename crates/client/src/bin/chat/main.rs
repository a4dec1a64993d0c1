//! `chat`: a command-line client of the chat cluster, built on `chat-client`.

mod commands;
mod session;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The default server: the local stack's balancer.
const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// A command-line chat client. `chat login` stores a session (a bearer token) in
/// $XDG_CONFIG_HOME/chat/session.json or ~/.config/chat/session.json, readable by you only;
/// the other commands use it.
#[derive(Debug, Parser)]
#[command(name = "chat", version)]
struct Cli {
    /// Base URL of the server (plain http). Default: the logged-in session's server, else
    /// http://127.0.0.1:8080.
    #[arg(long, global = true, env = "CHAT_SERVER")]
    server: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create an account (3-32 letters, digits, _ . -; password 8-128 characters).
    Register {
        /// The username.
        username: String,
        /// The password.
        password: String,
    },
    /// Log in and store the session for the other commands.
    Login {
        /// The username.
        username: String,
        /// The password.
        password: String,
    },
    /// Send a text message; prints where it landed (conversation and seq) as JSON.
    Send {
        /// A user id for a direct message, or g:<group id> for a group.
        to: String,
        /// The text.
        text: String,
    },
    /// Upload a file and send it: a picture (kind image: PNG, JPEG, GIF, WebP), a voice note
    /// (kind voice: WebM, Ogg, MP4, MP3 audio) or any file; prints where it landed as JSON.
    SendFile {
        /// A user id for a direct message, or g:<group id> for a group.
        to: String,
        /// The file to upload.
        path: std::path::PathBuf,
        /// What to send it as (the server checks the bytes against it).
        #[arg(long, value_enum, default_value_t = Kind::File)]
        kind: Kind,
        /// A voice note's length in milliseconds (the server does not decode audio).
        #[arg(long, default_value_t = 0)]
        duration_ms: u32,
    },
    /// Download a file I may read (mine, or sent in a conversation of mine) to a path.
    Fetch {
        /// The file id (`file_id` in a message's content).
        file_id: u64,
        /// Where to write it (an existing file is replaced).
        out: std::path::PathBuf,
    },
    /// Make a picture (PNG, JPEG, GIF, WebP) my avatar, which every signed-in user sees; prints
    /// my profile as JSON.
    Avatar {
        /// The picture to upload.
        #[arg(required_unless_present = "remove")]
        path: Option<std::path::PathBuf>,
        /// Remove my avatar instead.
        #[arg(long, conflicts_with = "path")]
        remove: bool,
    },
    /// Find users by username or nickname; one JSON object per line with how each relates to
    /// me.
    Search {
        /// A username prefix or part of a nickname.
        text: String,
    },
    /// Ask a user to be my friend (accepts theirs if they already asked me).
    AddFriend {
        /// Their user id (see `chat search`).
        user_id: u64,
        /// A note they see with the request.
        #[arg(long, default_value = "")]
        message: String,
    },
    /// List friend requests made to me, one JSON object per line.
    Requests,
    /// Accept a friend request made to me.
    Accept {
        /// The request id (see `chat requests`).
        request_id: u64,
    },
    /// Print events as they come, one JSON object per line (unread messages first); reconnects
    /// and resyncs by itself. Ctrl-C to stop.
    Tail {
        /// Skip unread messages: print only what arrives from now on.
        #[arg(long)]
        latest: bool,
    },
    /// List my conversations, most recently active first, one JSON object per line.
    Conversations,
    /// Print a page of a conversation's messages, oldest first, one JSON object per line.
    History {
        /// The conversation: d:<low user id>:<high user id> or g:<group id>.
        conversation_id: String,
        /// Messages before this seq (default: the newest page).
        #[arg(long, default_value_t = 0)]
        before: u64,
        /// How many messages (at most 200).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=200))]
        limit: u32,
    },
    /// End the stored session (the token stops working) and forget it.
    Logout,
}

/// What `send-file` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Kind {
    Image,
    Voice,
    File,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli.server, cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.is_broken_pipe() => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn history_takes_a_conversation_and_optional_bounds() {
        let cli = Cli::try_parse_from(["chat", "history", "d:1:2", "--before", "9"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::History { before: 9, limit: 50, ref conversation_id } if conversation_id == "d:1:2"
        ));
        assert!(Cli::try_parse_from(["chat", "history", "g:1", "--limit", "500"]).is_err());
    }

    #[test]
    fn send_file_takes_a_kind_and_a_duration() {
        let cli = Cli::try_parse_from([
            "chat",
            "send-file",
            "7",
            "a.webm",
            "--kind",
            "voice",
            "--duration-ms",
            "1500",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::SendFile {
                kind: Kind::Voice,
                duration_ms: 1500,
                ..
            }
        ));
        assert!(Cli::try_parse_from(["chat", "send-file", "7", "a", "--kind", "video"]).is_err());
    }

    #[test]
    fn the_server_flag_goes_before_or_after_the_command() {
        let cli = Cli::try_parse_from(["chat", "conversations", "--server", "http://x:1"]).unwrap();
        assert_eq!(cli.server.as_deref(), Some("http://x:1"));
    }
}
