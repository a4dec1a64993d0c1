//! The sweeper (ADR 0011): a message service of the stack's own cluster started with a sweep
//! age of 4 s removes an upload no message carried (its row, its object and its thumbnail)
//! and an object no row names, and keeps a file that was sent and one that is an avatar. (The stack's own message
//! service sweeps after a day.)

use std::time::{Duration, Instant, SystemTime};

use chat_e2e::api::Api;
use chat_e2e::cluster::TestCluster;
use chat_e2e::files::{download, files_under, objects_dir, uploaded_png};
use serde_json::json;

#[test]
fn uploads_never_sent_and_nameless_objects_are_swept_and_sent_files_stay() {
    let api = Api::new();
    let (a, a_token) = api.new_user("sweep_a");
    let (b, b_token) = api.new_user("sweep_b");
    api.befriend((a, &a_token), (b, &b_token));
    let unsent = uploaded_png(&api, &a_token);
    let sent = uploaded_png(&api, &a_token);
    let reply = api.call(
        "POST",
        "/messages",
        Some(&a_token),
        Some(
            json!({"kind": "direct", "target_id": b, "client_msg_id": "sweep-1",
                    "content": {"type": "image", "file_id": sent}}),
        ),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let avatar = uploaded_png(&api, &a_token);
    let set = api.call(
        "PUT",
        "/me/avatar",
        Some(&a_token),
        Some(json!({"file_id": avatar})),
    );
    assert_eq!(set.status, 200, "{set:?}");
    // An object a gateway stored but never registered (killed in between), an hour old.
    let dir = objects_dir(a);
    let orphan = dir.join("0123456789abcdef0123456789abcdef");
    std::fs::write(&orphan, b"left behind").expect("write an orphan object");
    std::fs::File::options()
        .write(true)
        .open(&orphan)
        .and_then(|file| file.set_modified(SystemTime::now() - Duration::from_secs(3600)))
        .expect("age the orphan");
    assert_eq!(
        files_under(&dir).len(),
        7,
        "three pictures, three thumbnails, the orphan"
    );

    let cluster = TestCluster::new("sweep");
    let files_dir = cluster.stack.run_dir.join("files").display().to_string();
    let _sweeper = start_sweeper(&cluster, &files_dir);

    let deadline = Instant::now() + Duration::from_secs(20);
    while download(&api, Some(&a_token), unsent, &[]).status != 404 || orphan.exists() {
        assert!(Instant::now() < deadline, "not swept within 20 s");
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(
        files_under(&dir).len(),
        4,
        "only the sent picture, the avatar and their thumbnails are left"
    );
    let kept = download(&api, Some(&b_token), sent, &[]);
    assert_eq!(kept.status, 200, "{kept:?}");
    let avatar_kept = download(&api, Some(&b_token), avatar, &[]);
    assert_eq!(avatar_kept.status, 200, "{avatar_kept:?}");
}

/// A message service that sweeps `files_dir` every 500 ms with an age of 4 s.
fn start_sweeper(cluster: &TestCluster, files_dir: &str) -> chat_e2e::cluster::Proc {
    cluster.start_stack_message_flags(
        "message-sweeper",
        &[
            "--files-dir",
            files_dir,
            "--file-sweep-age",
            "4s",
            "--file-sweep-interval",
            "500ms",
        ],
    )
}
