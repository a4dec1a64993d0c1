//! Files carried by messages (ADR 0011): an upload named by `file_id` in image, file and voice
//! contents, filled in by the server from what it stored, and downloadable by exactly the
//! uploader and whoever may read a conversation where a message that was not recalled carries
//! it; everyone else 404. Through OpenResty, the gateways and the message service.

use chat_e2e::api::{Api, Reply};
use chat_e2e::files::{
    PNG, download, fetch, files_under, objects_dir, png_of, signed_urls, upload, uploaded_png,
};
use serde_json::{Value, json};

/// The first bytes of a WebM file (an EBML header), which the gateway sniffs as audio/webm.
const WEBM: [u8; 16] = [
    0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01, 0x42, 0xf2, 0x81,
];

fn send(api: &Api, token: &str, kind: &str, target: u64, client_id: &str, content: Value) -> Reply {
    api.call(
        "POST",
        "/messages",
        Some(token),
        Some(json!({
            "kind": kind,
            "target_id": target,
            "client_msg_id": client_id,
            "content": content,
        })),
    )
}

/// The messages of a conversation as `token` reads them.
fn history(api: &Api, token: &str, conversation: &str) -> Vec<Value> {
    let page = api.call(
        "GET",
        &format!("/conversations/{conversation}/messages?after=0&limit=200"),
        Some(token),
        None,
    );
    assert_eq!(page.status, 200, "{page:?}");
    page.body["messages"].as_array().expect("messages").clone()
}

/// The sender recalls the conversation's first message.
fn recall_first(api: &Api, token: &str, conversation: &str) {
    let recalled = api.call(
        "POST",
        &format!("/conversations/{conversation}/messages/1/recall"),
        Some(token),
        None,
    );
    assert_eq!(recalled.status, 200, "{recalled:?}");
}

fn status(api: &Api, token: &str, file: u64) -> u16 {
    download(api, Some(token), file, &[]).status
}

#[test]
fn a_picture_sent_to_a_friend_is_theirs_to_download_until_it_is_recalled() {
    let api = Api::new();
    let (a, a_token) = api.new_user("fs_a");
    let (b, b_token) = api.new_user("fs_b");
    let (_, stranger) = api.new_user("fs_c");
    api.befriend((a, &a_token), (b, &b_token));
    let file = uploaded_png(&api, &a_token);
    assert_eq!(status(&api, &b_token, file), 404, "not sent yet");

    // Whatever the client claims about the file is replaced by what was stored.
    let sent = send(
        &api,
        &a_token,
        "direct",
        b,
        "pic-1",
        json!({"type": "image", "file_id": file, "url": "https://evil.example/x",
               "mime": "text/html", "size_bytes": 1}),
    );
    assert_eq!(sent.status, 200, "{sent:?}");
    let conversation = sent.body["conversation_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let messages = history(&api, &b_token, &conversation);
    let content = &messages[0]["content"];
    assert_eq!(content["type"], "image", "{content}");
    assert_eq!(content["file_id"], file);
    assert_eq!(content["url"], format!("/api/v1/files/{file}"));
    assert_eq!(content["mime"], "image/png");
    assert_eq!(content["size_bytes"], PNG.len());

    let fetched = download(&api, Some(&b_token), file, &[]);
    assert_eq!(fetched.status, 200, "{fetched:?}");
    assert_eq!(fetched.body, PNG, "the recipient gets the same bytes");
    assert_eq!(status(&api, &stranger, file), 404);

    recall_first(&api, &a_token, &conversation);
    assert_eq!(
        status(&api, &b_token, file),
        404,
        "recalled: no longer served"
    );
    assert_eq!(status(&api, &a_token, file), 200, "the uploader keeps it");
}

#[test]
fn only_the_uploaders_own_existing_files_of_the_right_kind_can_be_sent() {
    let api = Api::new();
    let (a, a_token) = api.new_user("fs_own_a");
    let (b, b_token) = api.new_user("fs_own_b");
    api.befriend((a, &a_token), (b, &b_token));
    let bs_file = uploaded_png(&api, &b_token);
    let image = |file: u64| json!({"type": "image", "file_id": file});

    let theirs = send(&api, &a_token, "direct", b, "own-1", image(bs_file));
    assert_eq!(
        (theirs.status, theirs.code()),
        (400, "unknown_file"),
        "{theirs:?}"
    );
    let missing = send(
        &api,
        &a_token,
        "direct",
        b,
        "own-2",
        image(bs_file + 1_000_000_000),
    );
    assert_eq!(
        (missing.status, missing.code()),
        (400, "unknown_file"),
        "{missing:?}"
    );
    let mine = uploaded_png(&api, &a_token);
    let as_voice = send(
        &api,
        &a_token,
        "direct",
        b,
        "own-3",
        json!({"type": "voice", "file_id": mine, "duration_ms": 1000}),
    );
    assert_eq!(
        (as_voice.status, as_voice.code()),
        (400, "wrong_file_kind"),
        "{as_voice:?}"
    );
    // A stranger learns nothing about ids: the send is refused for the friendship first.
    let (_, stranger) = api.new_user("fs_own_s");
    let probe = send(&api, &stranger, "direct", b, "own-4", image(mine));
    assert_eq!(probe.status, 403, "{probe:?}");

    // Nothing refused was stored, and the file is still only b's.
    let conversation = format!("d:{}:{}", a.min(b), a.max(b));
    let listed = api.call(
        "GET",
        &format!("/conversations/{conversation}/messages?after=0"),
        Some(&a_token),
        None,
    );
    assert_eq!(listed.status, 200, "{listed:?}");
    assert_eq!(listed.body["messages"], json!([]), "{listed:?}");
    assert_eq!(status(&api, &a_token, bs_file), 404);

    // Any upload may go as a file, named as it was uploaded.
    let sent = send(
        &api,
        &a_token,
        "direct",
        b,
        "own-5",
        json!({"type": "file", "file_id": mine, "name": "setup.exe"}),
    );
    assert_eq!(sent.status, 200, "{sent:?}");
    let content = &history(&api, &b_token, &conversation)[0]["content"];
    assert_eq!(content["name"], "dot.png", "{content}");
    assert_eq!(status(&api, &b_token, mine), 200);
}

#[test]
fn a_voice_note_in_a_group_is_for_its_current_members() {
    let api = Api::new();
    let (owner, owner_token) = api.new_user("fs_go");
    let (member, member_token) = api.new_user("fs_gm");
    let (kicked, kicked_token) = api.new_user("fs_gk");
    let (_, outsider) = api.new_user("fs_gx");
    api.befriend((owner, &owner_token), (member, &member_token));
    api.befriend((owner, &owner_token), (kicked, &kicked_token));
    let group = api.create_group(
        &owner_token,
        json!({"name": "voices", "join_mode": "open", "member_ids": [member, kicked]}),
    );
    let reply = upload(&api, Some(&owner_token), "voice", "hello.webm", &WEBM);
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.body["mime"], "audio/webm");
    let voice = reply.body["file_id"].as_u64().expect("a file id");

    let sent = send(
        &api,
        &owner_token,
        "group",
        group,
        "voice-1",
        json!({"type": "voice", "file_id": voice, "duration_ms": 1500}),
    );
    assert_eq!(sent.status, 200, "{sent:?}");
    let content = &history(&api, &member_token, &format!("g:{group}"))[0]["content"];
    assert_eq!(content["type"], "voice", "{content}");
    assert_eq!(content["duration_ms"], 1500);
    assert_eq!(content["mime"], "audio/webm");
    assert_eq!(content["url"], format!("/api/v1/files/{voice}"));

    let heard = download(&api, Some(&member_token), voice, &[]);
    assert_eq!((heard.status, heard.body.as_slice()), (200, &WEBM[..]));
    assert_eq!(status(&api, &kicked_token, voice), 200, "a member, for now");
    assert_eq!(status(&api, &outsider, voice), 404);

    let kick = api.call(
        "DELETE",
        &format!("/groups/{group}/members/{kicked}"),
        Some(&owner_token),
        None,
    );
    assert_eq!(kick.status, 204, "{kick:?}");
    assert_eq!(
        status(&api, &kicked_token, voice),
        404,
        "former members lose it"
    );
    assert_eq!(status(&api, &member_token, voice), 200);
}

#[test]
fn a_picture_gets_its_size_and_a_thumbnail_and_signed_addresses_for_the_browser() {
    let api = Api::new();
    let (a, a_token) = api.new_user("fs_th_a");
    let (b, b_token) = api.new_user("fs_th_b");
    let (_, stranger) = api.new_user("fs_th_s");
    api.befriend((a, &a_token), (b, &b_token));
    // OpenResty's log as it was before this test: only what it adds is looked at below.
    let access_log = chat_e2e::Stack::load()
        .run_dir
        .join("openresty/logs/access.log");
    let log_before = std::fs::metadata(&access_log).map_or(0, |meta| meta.len());
    let reply = upload(&api, Some(&a_token), "image", "wide.png", &png_of(800, 600));
    assert_eq!(reply.status, 201, "{reply:?}");
    let file = reply.body["file_id"].as_u64().expect("a file id");
    let sent = send(
        &api,
        &a_token,
        "direct",
        b,
        "th-1",
        json!({"type": "image", "file_id": file}),
    );
    assert_eq!(sent.status, 200, "{sent:?}");
    let conversation = sent.body["conversation_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let content = &history(&api, &b_token, &conversation)[0]["content"];
    assert_eq!(
        (content["width"].as_u64(), content["height"].as_u64()),
        (Some(800), Some(600))
    );
    assert_eq!(
        content["thumbnail_url"],
        format!("/api/v1/files/{file}/thumbnail")
    );

    // The browser's way: signed addresses, fetched with no token at all.
    assert_eq!(signed_urls(&api, &stranger, file).status, 404);
    let urls = signed_urls(&api, &b_token, file);
    assert_eq!(urls.status, 200, "{urls:?}");
    let url = urls.body["url"].as_str().expect("url").to_owned();
    assert!(
        url.starts_with(&format!("/api/v1/files/{file}?u={b}&exp=")),
        "{url}"
    );
    let picture = fetch(&api, &url);
    assert_eq!(picture.status, 200, "{picture:?}");
    assert_eq!(picture.body, png_of(800, 600));
    let thumbnail = fetch(
        &api,
        urls.body["thumbnail_url"].as_str().expect("thumbnail url"),
    );
    assert_eq!(thumbnail.status, 200, "{thumbnail:?}");
    assert_eq!(thumbnail.header("content-type"), Some("image/jpeg"));
    let small = image::load_from_memory(&thumbnail.body).expect("a JPEG");
    assert_eq!((small.width(), small.height()), (320, 240));

    // A signature is good for its own path and user only.
    let tampered = url.replace(&format!("u={b}"), &format!("u={a}"));
    let refused = fetch(&api, &tampered).into_json();
    assert_eq!(
        (refused.status, refused.code()),
        (403, "invalid_signature"),
        "{refused:?}"
    );
    let other_file = url.replace(&format!("/files/{file}?"), &format!("/files/{}?", file + 1));
    assert_eq!(
        fetch(&api, &other_file).into_json().code(),
        "invalid_signature"
    );
    // Every use is authorized again: after the recall the address serves nothing.
    recall_first(&api, &a_token, &conversation);
    assert_eq!(fetch(&api, &url).status, 404);
    // Signed addresses never reach OpenResty's log with their signature.
    // Nor one sent where no download is (by mistake, or by a fuzzer).
    let stray = api.call(
        "GET",
        "/files/not-an-id/thumbnail?u=1&exp=1&sig=stray",
        None,
        None,
    );
    assert_eq!(stray.status, 400, "{stray:?}");
    let whole = std::fs::read(&access_log).expect("OpenResty's access log");
    let start = usize::try_from(log_before).map_or(0, |start| start.min(whole.len()));
    let log = String::from_utf8_lossy(&whole[start..]);
    assert!(
        log.contains(&format!("/api/v1/files/{file} ")),
        "the signed downloads are in the log"
    );
    assert!(!log.contains("sig="), "a signature was logged");
}

#[test]
fn a_picture_that_does_not_decode_is_refused() {
    let api = Api::new();
    let (me, token) = api.new_user("fs_bad_png");
    let mut broken = png_of(50, 50);
    broken.truncate(60);
    let reply = upload(&api, Some(&token), "image", "broken.png", &broken);
    assert_eq!(
        (reply.status, reply.code()),
        (415, "invalid_image"),
        "{reply:?}"
    );
    assert!(files_under(&objects_dir(me)).is_empty(), "nothing stored");
}
