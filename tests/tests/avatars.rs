//! Avatars (ADR 0011): a user's or a group's avatar is one of the setter's image uploads, shown
//! to (and downloadable by) every signed-in user while it is the avatar; the bare address of
//! older data is still read but no longer written. Through OpenResty, the gateways, the message
//! service (the file) and the account service (who may change what).

use chat_e2e::api::{Api, Reply};
use chat_e2e::files::{download, fetch, png_of, signed_urls, upload, uploaded_png};
use serde_json::{Value, json};

fn set_mine(api: &Api, token: &str, file: u64) -> Reply {
    api.call(
        "PUT",
        "/me/avatar",
        Some(token),
        Some(json!({"file_id": file})),
    )
}

fn set_group(api: &Api, token: &str, group: u64, file: u64) -> Reply {
    api.call(
        "PUT",
        &format!("/groups/{group}/avatar"),
        Some(token),
        Some(json!({"file_id": file})),
    )
}

/// `user` as `token` finds them through `GET /users`.
fn user_seen_by(api: &Api, token: &str, user: u64) -> Value {
    let reply = api.call("GET", &format!("/users?ids={user}"), Some(token), None);
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["users"][0].clone()
}

fn me(api: &Api, token: &str) -> Value {
    let reply = api.call("GET", "/me", Some(token), None);
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body
}

fn status(api: &Api, token: &str, file: u64) -> u16 {
    download(api, Some(token), file, &[]).status
}

#[test]
fn a_users_avatar_is_an_upload_every_signed_in_user_sees_until_it_is_replaced() {
    let api = Api::new();
    let (a, a_token) = api.new_user("av_a");
    let (_, stranger) = api.new_user("av_s");
    let picture = png_of(200, 100);
    let uploaded = upload(&api, Some(&a_token), "image", "me.png", &picture);
    assert_eq!(uploaded.status, 201, "{uploaded:?}");
    let first = uploaded.body["file_id"].as_u64().expect("file id");
    assert_eq!(status(&api, &stranger, first), 404, "an upload is private");

    let set = set_mine(&api, &a_token, first);
    assert_eq!(set.status, 200, "{set:?}");
    assert_eq!(set.body["avatar_file_id"], first);
    assert_eq!(set.body["avatar_url"], format!("/api/v1/files/{first}"));
    let seen = user_seen_by(&api, &stranger, a);
    assert_eq!(seen["avatar_file_id"], first, "{seen}");

    let fetched = download(&api, Some(&stranger), first, &[]);
    assert_eq!(fetched.status, 200, "{fetched:?}");
    assert_eq!(fetched.body, picture, "the same bytes for anyone signed in");
    assert_eq!(
        download(&api, None, first, &[]).status,
        401,
        "but not for nobody"
    );
    // The browser shows the thumbnail through a signed address.
    let signed = signed_urls(&api, &stranger, first);
    assert_eq!(signed.status, 200, "{signed:?}");
    let thumbnail = fetch(
        &api,
        signed.body["thumbnail_url"].as_str().expect("thumbnail"),
    );
    assert_eq!(thumbnail.status, 200, "{thumbnail:?}");
    let decoded = image::load_from_memory(&thumbnail.body).expect("a picture");
    assert_eq!(
        (decoded.width(), decoded.height()),
        (200, 100),
        "small images stay their size"
    );

    // A new avatar: the old one is the uploader's own again.
    let second = uploaded_png(&api, &a_token);
    let replaced = set_mine(&api, &a_token, second);
    assert_eq!(replaced.body["avatar_file_id"], second, "{replaced:?}");
    assert_eq!(
        status(&api, &stranger, first),
        404,
        "replaced: private again"
    );
    assert_eq!(status(&api, &a_token, first), 200, "the uploader keeps it");
    assert_eq!(status(&api, &stranger, second), 200);

    let cleared = api.call("DELETE", "/me/avatar", Some(&a_token), None);
    assert_eq!(cleared.status, 200, "{cleared:?}");
    assert_eq!(cleared.body["avatar_file_id"], 0);
    assert_eq!(cleared.body["avatar_url"], "");
    assert_eq!(
        status(&api, &stranger, second),
        404,
        "removed: private again"
    );
    assert_eq!(me(&api, &a_token)["avatar_file_id"], 0);
}

#[test]
fn only_my_own_recent_image_uploads_can_become_my_avatar_and_addresses_are_refused() {
    let api = Api::new();
    let (_, a_token) = api.new_user("av_r_a");
    let (_, b_token) = api.new_user("av_r_b");
    let theirs = uploaded_png(&api, &b_token);
    let document = upload(&api, Some(&a_token), "file", "notes.txt", b"plain words");
    assert_eq!(document.status, 201, "{document:?}");
    let document = document.body["file_id"].as_u64().expect("file id");

    for (file, code, why) in [
        (theirs, "unknown_file", "someone else's upload"),
        (theirs + 1_000_000_000, "unknown_file", "no such upload"),
        (document, "wrong_file_kind", "not an image upload"),
        (0, "invalid_field", "no file (DELETE removes)"),
    ] {
        let refused = set_mine(&api, &a_token, file);
        assert_eq!(
            (refused.status, refused.code()),
            (400, code),
            "{why}: {refused:?}"
        );
    }
    assert_eq!(status(&api, &a_token, theirs), 404, "still not a's to read");

    let address = api.call(
        "PATCH",
        "/me",
        Some(&a_token),
        Some(json!({"avatar_url": "https://cdn.example/a.png"})),
    );
    assert_eq!(
        (address.status, address.code()),
        (400, "avatar_is_an_upload"),
        "{address:?}"
    );
    let group = api.call(
        "POST",
        "/groups",
        Some(&a_token),
        Some(json!({"name": "g", "join_mode": "open", "avatar_url": "https://cdn.example/g.png"})),
    );
    assert_eq!(
        (group.status, group.code()),
        (400, "avatar_is_an_upload"),
        "{group:?}"
    );
    let nobody = api.call("PUT", "/me/avatar", None, Some(json!({"file_id": theirs})));
    assert_eq!(nobody.status, 401, "{nobody:?}");

    let profile = me(&api, &a_token);
    assert_eq!(
        (
            profile["avatar_url"].as_str(),
            profile["avatar_file_id"].as_u64()
        ),
        (Some(""), Some(0))
    );
}

#[test]
fn a_groups_avatar_is_set_by_its_owner_or_admins_and_members_are_told() {
    let api = Api::new();
    let (owner, owner_token) = api.new_user("av_g_o");
    let (member, member_token) = api.new_user("av_g_m");
    let (_, outsider) = api.new_user("av_g_x");
    api.befriend((owner, &owner_token), (member, &member_token));
    let group = api.create_group(
        &owner_token,
        json!({"name": "pictures", "join_mode": "open", "member_ids": [member]}),
    );

    // A member who may not change the group: refused, and their upload is not made public.
    let members_file = uploaded_png(&api, &member_token);
    let refused = set_group(&api, &member_token, group, members_file);
    assert_eq!(refused.status, 403, "{refused:?}");
    assert_eq!(
        status(&api, &outsider, members_file),
        404,
        "the claim was taken back"
    );
    let stranger_try = set_group(&api, &outsider, group, uploaded_png(&api, &outsider));
    assert!(
        matches!(stranger_try.status, 403 | 404),
        "an outsider: {stranger_try:?}"
    );

    let file = uploaded_png(&api, &owner_token);
    let set = set_group(&api, &owner_token, group, file);
    assert_eq!(set.status, 200, "{set:?}");
    assert_eq!(set.body["group"]["avatar_file_id"], file);
    let seen = api.call(
        "GET",
        &format!("/groups/{group}"),
        Some(&member_token),
        None,
    );
    assert_eq!(seen.body["group"]["avatar_file_id"], file, "{seen:?}");
    assert_eq!(
        status(&api, &outsider, file),
        200,
        "an avatar is for every signed-in user"
    );

    let notifications = api.call("GET", "/notifications", Some(&member_token), None);
    assert_eq!(notifications.status, 200, "{notifications:?}");
    let told = notifications.body["notifications"]
        .as_array()
        .expect("notifications")
        .iter()
        .any(|n| n["kind"] == "group_updated" && n["group_id"] == group);
    assert!(told, "the member is told: {notifications:?}");

    let cleared = api.call(
        "DELETE",
        &format!("/groups/{group}/avatar"),
        Some(&owner_token),
        None,
    );
    assert_eq!(cleared.status, 200, "{cleared:?}");
    assert_eq!(cleared.body["group"]["avatar_file_id"], 0);
    assert_eq!(status(&api, &outsider, file), 404);
}

#[test]
fn an_avatar_address_from_older_data_is_still_shown_and_can_be_replaced() {
    let api = Api::new();
    let (a, a_token) = api.new_user("av_old");
    let old = "https://cdn.example/old.png";
    let sql = format!("UPDATE chat_account.users SET avatar_url = '{old}' WHERE id = {a}");
    let ran = std::process::Command::new("mariadb")
        .args(["-h", "127.0.0.1", "-u", "root", "-e", &sql])
        .status()
        .expect("run the mariadb client");
    assert!(ran.success());
    let profile = me(&api, &a_token);
    assert_eq!(profile["avatar_url"], old);
    assert_eq!(profile["avatar_file_id"], 0);

    let file = uploaded_png(&api, &a_token);
    let set = set_mine(&api, &a_token, file);
    assert_eq!(set.status, 200, "{set:?}");
    assert_eq!(set.body["avatar_url"], format!("/api/v1/files/{file}"));
}
