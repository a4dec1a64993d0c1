//! Files end to end through OpenResty (the upload route's own body limit, unbuffered), the
//! gateway (streaming into object storage on the local filesystem, sniffing, limits, ranges)
//! and the message service (the `files` table, who may download): ADR 0011. Files carried by
//! messages are in `file_sharing.rs`, the S3 backend in `files_s3.rs`.

use chat_e2e::api::Api;
use chat_e2e::cluster::TestCluster;
use chat_e2e::files::{
    PNG, VOICE_LIMIT, download, files_under, objects_dir, sha256_hex, upload, uploaded_png,
};
use chat_proto::message::message_client::MessageClient;
use chat_proto::message::{AuthorizeFileRequest, RegisterFileRequest};
use tonic::Code;

#[test]
fn a_png_round_trips_to_its_uploader() {
    let api = Api::new();
    let (me, token) = api.new_user("file_owner");
    let reply = upload(&api, Some(&token), "image", "dot.png", &PNG);
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.body["kind"], "image");
    assert_eq!(reply.body["mime"], "image/png");
    assert_eq!(reply.body["size_bytes"], 67);
    assert_eq!(reply.body["sha256"], sha256_hex(&PNG));
    assert_eq!(reply.body["name"], "dot.png");
    let id = reply.body["file_id"].as_u64().expect("a file id");
    assert_eq!(
        files_under(&objects_dir(me)).len(),
        2,
        "the picture and its thumbnail stored"
    );

    let whole = download(&api, Some(&token), id, &[]);
    assert_eq!(whole.status, 200, "{whole:?}");
    assert_eq!(whole.body, PNG);
    assert_eq!(whole.header("content-type"), Some("image/png"));
    assert_eq!(whole.header("content-length"), Some("67"));
    assert_eq!(whole.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        whole.header("content-disposition"),
        Some("inline; filename=\"dot.png\"; filename*=UTF-8''dot.png")
    );
    assert_eq!(whole.header("cache-control"), Some("private, max-age=0"));

    let part = download(&api, Some(&token), id, &["Range: bytes=0-9"]);
    assert_eq!(part.status, 206, "{part:?}");
    assert_eq!(part.body, PNG[..10]);
    assert_eq!(part.header("content-range"), Some("bytes 0-9/67"));

    let past_the_end = download(&api, Some(&token), id, &["Range: bytes=67-"]);
    assert_eq!(past_the_end.status, 416, "{past_the_end:?}");
    assert_eq!(past_the_end.header("content-range"), Some("bytes */67"));
}

#[test]
fn a_file_is_invisible_to_everyone_but_its_uploader() {
    let api = Api::new();
    let (_, owner) = api.new_user("file_owner");
    let (_, stranger) = api.new_user("file_stranger");
    let id = uploaded_png(&api, &owner);

    let theirs = download(&api, Some(&stranger), id, &[]).into_json();
    assert_eq!(
        (theirs.status, theirs.code()),
        (404, "not_found"),
        "{theirs:?}"
    );
    let unknown = download(&api, Some(&owner), id + 1_000_000_000, &[]).into_json();
    assert_eq!(
        (unknown.status, unknown.code()),
        (404, "not_found"),
        "{unknown:?}"
    );
}

#[test]
fn a_type_the_kind_does_not_allow_is_refused_and_nothing_stored() {
    let api = Api::new();
    let (me, token) = api.new_user("file_text");
    let reply = upload(
        &api,
        Some(&token),
        "image",
        "notes.png",
        b"just some text pretending to be a picture",
    );
    assert_eq!(
        (reply.status, reply.code()),
        (415, "unsupported_type"),
        "{reply:?}"
    );
    assert!(files_under(&objects_dir(me)).is_empty());

    // The same bytes as a plain file are fine, with the type nobody knows.
    let reply = upload(&api, Some(&token), "file", "notes.txt", b"just some text");
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(reply.body["mime"], "application/octet-stream");
}

#[test]
fn an_upload_over_its_kinds_limit_is_refused_and_nothing_stored() {
    let api = Api::new();
    let (me, token) = api.new_user("file_large");
    // WebM-looking: an EBML header, then zeros, one byte over the voice limit.
    let mut voice = vec![0u8; VOICE_LIMIT + 1];
    voice[..4].copy_from_slice(&[0x1a, 0x45, 0xdf, 0xa3]);
    let reply = upload(&api, Some(&token), "voice", "long.webm", &voice);
    assert_eq!(
        (reply.status, reply.code()),
        (413, "file_too_large"),
        "{reply:?}"
    );
    assert!(files_under(&objects_dir(me)).is_empty());
}

#[test]
fn files_need_a_signed_in_user() {
    let api = Api::new();
    let (_, token) = api.new_user("file_anon");
    let id = uploaded_png(&api, &token);
    let reply = upload(&api, None, "image", "dot.png", &PNG);
    assert_eq!(reply.status, 401, "{reply:?}");
    let reply = download(&api, None, id, &[]);
    assert_eq!(reply.status, 401, "{reply:?}");
}

/// The quota through the message service itself (one started with a quota of 100 bytes): the
/// gateway maps its RESOURCE_EXHAUSTED to 429 like every other (rest/error.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_beyond_the_quota_are_refused() {
    let (user, _) = tokio::task::block_in_place(|| Api::new().new_user("file_quota"));
    let cluster = TestCluster::new("quota");
    let message = tokio::task::block_in_place(|| {
        cluster.start_stack_message_flags("message-quota", &["--file-quota-bytes", "100"])
    });
    let mut client = MessageClient::new(cluster.stack.grpc(&message.grpc));
    let file = |key: &str| RegisterFileRequest {
        actor_id: user,
        kind: "file".into(),
        mime: "application/octet-stream".into(),
        size_bytes: 60,
        sha256: "0".repeat(64),
        object_key: format!("files/{user}/{key}"),
        name: "sixty bytes".into(),
        ..RegisterFileRequest::default()
    };
    let first = client
        .register_file(file("quota-first"))
        .await
        .expect("the first file fits")
        .into_inner();
    assert_eq!((first.uploader_id, first.size_bytes), (user, 60));

    let refused = client
        .register_file(file("quota-second"))
        .await
        .expect_err("120 bytes are over 100");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert_eq!(
        refused
            .metadata()
            .get("chat-error-code")
            .and_then(|code| code.to_str().ok()),
        Some("quota_exceeded")
    );

    let own = client
        .authorize_file(AuthorizeFileRequest {
            actor_id: user,
            file_id: first.file_id,
        })
        .await
        .expect("the uploader may read it")
        .into_inner();
    assert_eq!(own.object_key, first.object_key);
    let stranger = client
        .authorize_file(AuthorizeFileRequest {
            actor_id: user + 1,
            file_id: first.file_id,
        })
        .await
        .expect_err("nobody else may");
    assert_eq!(stranger.code(), Code::NotFound, "{stranger:?}");
}
