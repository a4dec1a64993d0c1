//! The S3 backend of uploads (ADR 0011) against the stack's S3-compatible server (`s3s-fs`,
//! built and started by `cargo xtask up`), through a gateway of this test's own started with
//! `--files-s3-*` (the stack's gateways store on the filesystem): the same bytes back, ranges,
//! thumbnails, refusals that store nothing in the bucket, and signed addresses that expire
//! (this gateway's last 2 s).

use std::time::Duration;

use chat_e2e::Stack;
use chat_e2e::api::Api;
use chat_e2e::cluster::{Proc, TestCluster};
use chat_e2e::files::{VOICE_LIMIT, download, fetch, files_under, png_of, signed_urls, upload};
use serde_json::json;

/// A gateway of `cluster` storing in the stack's bucket.
fn s3_gateway(cluster: &TestCluster, router: &Proc) -> Proc {
    let stack = &cluster.stack;
    let s3 = stack
        .s3
        .as_ref()
        .expect("the stack runs an S3 server (cargo xtask up)");
    let secret = s3.secret_key_file.display().to_string();
    let url_key = stack.run_dir.join("file-url-key").display().to_string();
    cluster.start_gateway_flags(
        "s3-gateway",
        router,
        &stack.message.grpc,
        &[
            "--files-s3-bucket",
            &s3.bucket,
            "--files-s3-endpoint",
            &s3.endpoint,
            "--files-s3-access-key-id",
            &s3.access_key,
            "--files-s3-secret-key-file",
            &secret,
            "--file-url-key-file",
            &url_key,
            "--file-url-ttl",
            "2s",
        ],
    )
}

/// Where the S3 server keeps `user`'s objects (a directory per bucket, then the key).
fn bucket_dir(stack: &Stack, user: u64) -> std::path::PathBuf {
    let s3 = stack.s3.as_ref().expect("an S3 server");
    let root = s3.secret_key_file.parent().expect("the server's root");
    root.join(&s3.bucket).join("files").join(user.to_string())
}

#[test]
fn uploads_round_trip_through_an_s3_store_and_refusals_store_nothing() {
    let cluster = TestCluster::new("s3");
    cluster.create_push_topic();
    let router = cluster.start_router("router", &[]);
    let gateway = s3_gateway(&cluster, &router);
    let stack = Api::new();
    let via_s3 = Api {
        public: gateway.http.clone(),
        gateway: gateway.http.clone(),
    };
    let (a, a_token) = stack.new_user("s3_a");
    let (b, b_token) = stack.new_user("s3_b");
    stack.befriend((a, &a_token), (b, &b_token));

    let picture = png_of(640, 320);
    let reply = upload(&via_s3, Some(&a_token), "image", "s3.png", &picture);
    assert_eq!(reply.status, 201, "{reply:?}");
    let file = reply.body["file_id"].as_u64().expect("a file id");
    assert_eq!(
        files_under(&bucket_dir(&cluster.stack, a)).len(),
        2,
        "the picture and its thumbnail are in the bucket"
    );
    let sent = stack.call(
        "POST",
        "/messages",
        Some(&a_token),
        Some(
            json!({"kind": "direct", "target_id": b, "client_msg_id": "s3-1",
                    "content": {"type": "image", "file_id": file}}),
        ),
    );
    assert_eq!(sent.status, 200, "{sent:?}");

    let whole = download(&via_s3, Some(&b_token), file, &[]);
    assert_eq!(whole.status, 200, "{whole:?}");
    assert_eq!(whole.body, picture, "the recipient gets the same bytes");
    let part = download(&via_s3, Some(&b_token), file, &["Range: bytes=8-15"]);
    assert_eq!(part.status, 206, "{part:?}");
    assert_eq!(part.body, picture[8..16]);
    let urls = signed_urls(&via_s3, &b_token, file);
    assert_eq!(urls.status, 200, "{urls:?}");
    let thumbnail = fetch(
        &via_s3,
        urls.body["thumbnail_url"].as_str().expect("thumbnail"),
    );
    assert_eq!(thumbnail.status, 200, "{thumbnail:?}");
    let small = image::load_from_memory(&thumbnail.body).expect("a JPEG");
    assert_eq!((small.width(), small.height()), (320, 160));

    // Signed addresses expire (this gateway's last 2 s).
    let url = urls.body["url"].as_str().expect("url").to_owned();
    assert_eq!(fetch(&via_s3, &url).status, 200);
    std::thread::sleep(Duration::from_millis(2_200));
    let expired = fetch(&via_s3, &url).into_json();
    assert_eq!(
        (expired.status, expired.code()),
        (403, "url_expired"),
        "{expired:?}"
    );

    // Refusals leave nothing in the bucket.
    let (c, c_token) = stack.new_user("s3_c");
    let wrong = upload(
        &via_s3,
        Some(&c_token),
        "image",
        "x.png",
        b"not a picture at all",
    );
    assert_eq!(
        (wrong.status, wrong.code()),
        (415, "unsupported_type"),
        "{wrong:?}"
    );
    let mut voice = vec![0u8; VOICE_LIMIT + 1];
    voice[..4].copy_from_slice(&[0x1a, 0x45, 0xdf, 0xa3]);
    let large = upload(&via_s3, Some(&c_token), "voice", "long.webm", &voice);
    assert_eq!(
        (large.status, large.code()),
        (413, "file_too_large"),
        "{large:?}"
    );
    assert!(files_under(&bucket_dir(&cluster.stack, c)).is_empty());
}
