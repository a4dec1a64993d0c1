//! The `chat` command-line client, run the way its `--help` says, against the stack through
//! OpenResty: two people find each other, become friends, and one sends a picture the other
//! fetches byte for byte. Each has their own session file (`XDG_CONFIG_HOME`).

use std::path::{Path, PathBuf};
use std::process::Command;

use chat_e2e::Stack;
use chat_e2e::api::unique_name;
use chat_e2e::files::png_of;
use serde_json::Value;

const PASSWORD: &str = "a long enough password";

/// One person at a terminal: the `chat` binary with their own config directory.
struct Person {
    config: PathBuf,
}

impl Person {
    fn new(dir: &Path, name: &str) -> Self {
        let config = dir.join(name);
        std::fs::create_dir_all(&config).expect("a config directory");
        Self { config }
    }

    /// Runs `chat args...`; the standard output's JSON lines, or a panic naming stderr.
    fn run(&self, args: &[&str]) -> Vec<Value> {
        let output = Command::new(Stack::load().binary("chat"))
            .args(args)
            .env("XDG_CONFIG_HOME", &self.config)
            .env("CHAT_SERVER", Stack::load().public_url)
            .output()
            .expect("run chat");
        assert!(
            output.status.success(),
            "chat {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    }
}

#[test]
fn two_people_become_friends_send_a_picture_and_show_an_avatar_from_the_command_line() {
    let dir = Stack::load()
        .run_dir
        .join("test-logs")
        .join(unique_name("cli"));
    let (ann_name, bob_name) = (unique_name("cli_ann"), unique_name("cli_bob"));
    let ann = Person::new(&dir, "ann");
    let bob = Person::new(&dir, "bob");
    for (person, name) in [(&ann, &ann_name), (&bob, &bob_name)] {
        person.run(&["register", name, PASSWORD]);
        person.run(&["login", name, PASSWORD]);
    }

    let hits = ann.run(&["search", &bob_name]);
    assert_eq!(hits[0]["relation"], "none", "{hits:?}");
    let bob_id = hits[0]["user"]["user_id"].as_u64().expect("bob's id");
    ann.run(&[
        "add-friend",
        &bob_id.to_string(),
        "--message",
        "hi from the CLI",
    ]);
    let requests = bob.run(&["requests"]);
    assert_eq!(requests[0]["message"], "hi from the CLI", "{requests:?}");
    let request = requests[0]["request_id"].as_u64().expect("request id");
    bob.run(&["accept", &request.to_string()]);
    assert_eq!(ann.run(&["search", &bob_name])[0]["relation"], "friend");

    let picture = png_of(400, 300);
    let file = dir.join("picture.png");
    std::fs::write(&file, &picture).expect("write the picture");
    let sent = ann.run(&[
        "send-file",
        &bob_id.to_string(),
        &file.display().to_string(),
        "--kind",
        "image",
    ]);
    let conversation = sent[0]["conversation_id"].as_str().expect("conversation");
    let history = bob.run(&["history", conversation]);
    let content = &history[0]["content"];
    assert_eq!(
        (content["type"].as_str(), content["width"].as_u64()),
        (Some("image"), Some(400)),
        "{content}"
    );
    let file_id = content["file_id"].as_u64().expect("file id");
    let fetched = dir.join("fetched.png");
    bob.run(&[
        "fetch",
        &file_id.to_string(),
        &fetched.display().to_string(),
    ]);
    assert_eq!(std::fs::read(&fetched).expect("the fetched file"), picture);

    // Ann's picture becomes her avatar, which Bob fetches by the id her profile names.
    let profile = ann.run(&["avatar", &file.display().to_string()]);
    let avatar = profile[0]["avatar_file_id"].as_u64().expect("avatar id");
    assert_ne!(avatar, 0, "{profile:?}");
    let found = bob.run(&["search", &ann_name]);
    assert_eq!(found[0]["user"]["avatar_file_id"], avatar, "{found:?}");
    let fetched_avatar = dir.join("avatar.png");
    bob.run(&[
        "fetch",
        &avatar.to_string(),
        &fetched_avatar.display().to_string(),
    ]);
    assert_eq!(std::fs::read(&fetched_avatar).expect("the avatar"), picture);
    let removed = ann.run(&["avatar", "--remove"]);
    assert_eq!(removed[0]["avatar_file_id"], 0, "{removed:?}");
}
