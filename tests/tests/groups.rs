//! Groups end to end through REST: the four join modes, roles, invitations among friends, join
//! requests answered once, leaving, kicking, muting, transfer, the member limit's bookkeeping,
//! and that nobody acts on a group without the right to (the seed let anyone add anyone to any
//! group, never enforced modes or passwords, and showed anyone any member list).

use chat_e2e::api::Api;
use serde_json::{Value, json};

fn befriend(api: &Api, a: (u64, &str), b: (u64, &str)) {
    api.befriend(a, b);
}

fn create(api: &Api, token: &str, body: Value) -> u64 {
    api.create_group(token, body)
}

fn member_ids(api: &Api, token: &str, group: u64) -> Vec<u64> {
    let reply = api.call(
        "GET",
        &format!("/groups/{group}/members"),
        Some(token),
        None,
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["user"]["user_id"].as_u64())
        .collect()
}

#[test]
fn an_open_group_with_friends_invited_and_roles_enforced() {
    let api = Api::new();
    let (owner, owner_token) = api.new_user("own");
    let (friend, friend_token) = api.new_user("fri");
    let (stranger, stranger_token) = api.new_user("str");
    befriend(&api, (owner, &owner_token), (friend, &friend_token));

    // Initial members must be the creator's friends.
    let refused = api.call(
        "POST",
        "/groups",
        Some(&owner_token),
        Some(json!({"name": "g", "join_mode": "open", "member_ids": [stranger]})),
    );
    assert_eq!(refused.status, 403, "{refused:?}");
    let group = create(
        &api,
        &owner_token,
        json!({"name": "Hikers", "join_mode": "open", "member_ids": [friend]}),
    );
    let card = api.call("GET", &format!("/groups/{group}"), Some(&owner_token), None);
    assert_eq!(card.body["group"]["member_count"], 2);
    assert_eq!(card.body["group"]["my_role"], "owner");

    // Outsiders see the card but not the member list, and cannot change anything.
    assert_eq!(
        api.call(
            "GET",
            &format!("/groups/{group}"),
            Some(&stranger_token),
            None
        )
        .body["group"]["my_role"],
        "none"
    );
    assert_eq!(
        api.call(
            "GET",
            &format!("/groups/{group}/members"),
            Some(&stranger_token),
            None
        )
        .status,
        403
    );
    assert_eq!(
        api.call(
            "PATCH",
            &format!("/groups/{group}"),
            Some(&stranger_token),
            Some(json!({"name": "mine"}))
        )
        .status,
        403
    );
    assert_eq!(
        api.call(
            "DELETE",
            &format!("/groups/{group}"),
            Some(&stranger_token),
            None
        )
        .status,
        403
    );
    let invite = api.call(
        "POST",
        &format!("/groups/{group}/invitations"),
        Some(&stranger_token),
        Some(json!({"user_ids": [owner]})),
    );
    assert_eq!(
        invite.status, 403,
        "a non-member cannot add anyone: {invite:?}"
    );
    // A plain member cannot rename it either.
    assert_eq!(
        api.call(
            "PATCH",
            &format!("/groups/{group}"),
            Some(&friend_token),
            Some(json!({"name": "x"}))
        )
        .status,
        403
    );

    // Open: anyone joins at once.
    let joined = api.call(
        "POST",
        &format!("/groups/{group}/join"),
        Some(&stranger_token),
        None,
    );
    assert_eq!(joined.body["outcome"], "joined", "{joined:?}");
    assert_eq!(
        api.call(
            "POST",
            &format!("/groups/{group}/join"),
            Some(&stranger_token),
            None
        )
        .status,
        409
    );
    let mut ids = member_ids(&api, &stranger_token, group);
    ids.sort_unstable();
    let mut expected = vec![owner, friend, stranger];
    expected.sort_unstable();
    assert_eq!(ids, expected);

    // Roles: admins kick members but not the owner; only the owner makes admins.
    assert_eq!(
        api.call(
            "PUT",
            &format!("/groups/{group}/admins/{friend}"),
            Some(&stranger_token),
            None
        )
        .status,
        403
    );
    let admin = api.call(
        "PUT",
        &format!("/groups/{group}/admins/{friend}"),
        Some(&owner_token),
        None,
    );
    assert_eq!(admin.body["member"]["role"], "admin", "{admin:?}");
    assert_eq!(
        api.call(
            "DELETE",
            &format!("/groups/{group}/members/{owner}"),
            Some(&friend_token),
            None
        )
        .status,
        403
    );
    let muted = api.call(
        "PUT",
        &format!("/groups/{group}/mutes/{stranger}"),
        Some(&friend_token),
        Some(json!({"duration_s": 600})),
    );
    assert!(
        muted.body["member"]["muted_until_ms"].as_i64().unwrap_or(0) > 0,
        "{muted:?}"
    );
    assert_eq!(
        api.call(
            "DELETE",
            &format!("/groups/{group}/members/{stranger}"),
            Some(&friend_token),
            None
        )
        .status,
        204
    );
    assert!(!member_ids(&api, &owner_token, group).contains(&stranger));

    // The owner leaves only after transferring; the old owner becomes an admin.
    let stuck = api.call(
        "POST",
        &format!("/groups/{group}/leave"),
        Some(&owner_token),
        None,
    );
    assert_eq!((stuck.status, stuck.code()), (409, "owner_must_transfer"));
    let moved = api.call(
        "POST",
        &format!("/groups/{group}/transfer"),
        Some(&owner_token),
        Some(json!({"new_owner_id": friend})),
    );
    assert_eq!(moved.body["group"]["owner_id"], friend, "{moved:?}");
    assert_eq!(
        api.call(
            "POST",
            &format!("/groups/{group}/leave"),
            Some(&owner_token),
            None
        )
        .status,
        204
    );
    assert_eq!(member_ids(&api, &friend_token, group), vec![friend]);

    // Only the (new) owner dissolves it.
    assert_eq!(
        api.call(
            "DELETE",
            &format!("/groups/{group}"),
            Some(&friend_token),
            None
        )
        .status,
        204
    );
    assert_eq!(
        api.call(
            "GET",
            &format!("/groups/{group}"),
            Some(&friend_token),
            None
        )
        .status,
        404
    );
}

#[test]
fn password_approval_and_invite_only_modes_are_enforced() {
    let api = Api::new();
    let (owner, owner_token) = api.new_user("pwo");
    let (_, guest_token) = api.new_user("pwg");

    let locked = create(
        &api,
        &owner_token,
        json!({"name": "Locked", "join_mode": "password", "password": "open sesame"}),
    );
    let card = api.call(
        "GET",
        &format!("/groups/{locked}"),
        Some(&guest_token),
        None,
    );
    assert!(
        !card.headers.contains("sesame") && card.body["group"].get("password").is_none(),
        "the password is never returned"
    );
    let wrong = api.call(
        "POST",
        &format!("/groups/{locked}/join"),
        Some(&guest_token),
        Some(json!({"password": "guess"})),
    );
    assert_eq!(wrong.status, 403, "{wrong:?}");
    let right = api.call(
        "POST",
        &format!("/groups/{locked}/join"),
        Some(&guest_token),
        Some(json!({"password": "open sesame"})),
    );
    assert_eq!(right.body["outcome"], "joined");
    let no_password = api.call(
        "POST",
        "/groups",
        Some(&owner_token),
        Some(json!({"name": "x", "join_mode": "password"})),
    );
    assert_eq!(no_password.status, 400);

    let closed = create(
        &api,
        &owner_token,
        json!({"name": "Closed", "join_mode": "invite_only"}),
    );
    assert_eq!(
        api.call(
            "POST",
            &format!("/groups/{closed}/join"),
            Some(&guest_token),
            None
        )
        .status,
        403
    );

    let club = create(
        &api,
        &owner_token,
        json!({"name": "Club", "join_mode": "approval"}),
    );
    let asked = api.call(
        "POST",
        &format!("/groups/{club}/join"),
        Some(&guest_token),
        Some(json!({"message": "let me in"})),
    );
    assert_eq!(asked.body["outcome"], "pending_approval", "{asked:?}");
    let request = asked.body["join_request_id"].as_u64().unwrap();
    // The applicant can neither list nor approve requests.
    assert_eq!(
        api.call(
            "GET",
            &format!("/groups/{club}/join-requests"),
            Some(&guest_token),
            None
        )
        .status,
        403
    );
    assert_eq!(
        api.call(
            "POST",
            &format!("/groups/join-requests/{request}/approve"),
            Some(&guest_token),
            None
        )
        .status,
        404
    );
    let listed = api.call(
        "GET",
        &format!("/groups/{club}/join-requests"),
        Some(&owner_token),
        None,
    );
    assert_eq!(listed.body["requests"][0]["message"], "let me in");
    let approved = api.call(
        "POST",
        &format!("/groups/join-requests/{request}/approve"),
        Some(&owner_token),
        None,
    );
    assert_eq!(
        approved.body["request"]["status"], "approved",
        "{approved:?}"
    );
    assert_eq!(
        api.call(
            "POST",
            &format!("/groups/join-requests/{request}/approve"),
            Some(&owner_token),
            None
        )
        .status,
        409,
        "approved once"
    );
    assert!(member_ids(&api, &owner_token, club).len() == 2);
    let mine = api.call("GET", "/groups", Some(&guest_token), None);
    let my_groups: Vec<u64> = mine.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["group_id"].as_u64())
        .collect();
    assert!(
        my_groups.contains(&locked) && my_groups.contains(&club) && !my_groups.contains(&closed)
    );
    let _ = owner;
}

#[test]
fn members_invite_only_where_the_mode_allows_and_only_friends() {
    let api = Api::new();
    let (owner, owner_token) = api.new_user("imo");
    let (member, member_token) = api.new_user("imm");
    let (pal, pal_token) = api.new_user("imp");
    befriend(&api, (owner, &owner_token), (member, &member_token));
    befriend(&api, (member, &member_token), (pal, &pal_token));

    let club = create(
        &api,
        &owner_token,
        json!({"name": "Club", "join_mode": "approval", "member_ids": [member]}),
    );
    let refused = api.call(
        "POST",
        &format!("/groups/{club}/invitations"),
        Some(&member_token),
        Some(json!({"user_ids": [pal]})),
    );
    assert_eq!(
        refused.status, 403,
        "a member cannot invite into an approval group"
    );
    let not_friend = api.call(
        "POST",
        &format!("/groups/{club}/invitations"),
        Some(&owner_token),
        Some(json!({"user_ids": [pal]})),
    );
    assert_eq!(
        not_friend.status, 403,
        "invitees must be the inviter's friends"
    );

    let open = create(
        &api,
        &owner_token,
        json!({"name": "Open", "join_mode": "open", "member_ids": [member]}),
    );
    let invited = api.call(
        "POST",
        &format!("/groups/{open}/invitations"),
        Some(&member_token),
        Some(json!({"user_ids": [pal]})),
    );
    assert_eq!(invited.body["added_user_ids"], json!([pal]), "{invited:?}");
}

#[test]
fn malformed_group_calls_get_clear_errors() {
    let api = Api::new();
    let (_, token) = api.new_user("gbad");
    let bad_mode = api.call(
        "POST",
        "/groups",
        Some(&token),
        Some(json!({"name": "x", "join_mode": "secret"})),
    );
    assert_eq!(
        (bad_mode.status, bad_mode.code()),
        (400, "invalid_join_mode")
    );
    let no_name = api.call(
        "POST",
        "/groups",
        Some(&token),
        Some(json!({"name": "  ", "join_mode": "open"})),
    );
    assert_eq!(no_name.status, 400);
    assert_eq!(
        api.call("GET", "/groups/abc", Some(&token), None).code(),
        "invalid_id"
    );
    assert_eq!(
        api.call("DELETE", "/groups/1/members/zero", Some(&token), None)
            .code(),
        "invalid_id"
    );
    assert_eq!(
        api.call("GET", "/groups/999999999999", Some(&token), None)
            .status,
        404
    );
}

#[tokio::test]
async fn other_services_read_members_with_a_version_to_cache_by() {
    use chat_proto::account::GroupMembersRequest;
    use chat_proto::account::account_client::AccountClient;

    let api = Api::new();
    let (owner, owner_token) = api.new_user("gmo");
    let (guest, guest_token) = api.new_user("gmg");
    let group = create(
        &api,
        &owner_token,
        json!({"name": "Versioned", "join_mode": "open"}),
    );
    let stack = chat_e2e::Stack::load();
    let mut account = AccountClient::new(stack.grpc(&stack.account.grpc));
    let ask = |known_version| GroupMembersRequest {
        group_id: group,
        known_version,
    };

    let first = account.group_members(ask(0)).await.unwrap().into_inner();
    assert_eq!(first.member_ids, vec![owner]);
    let same = account
        .group_members(ask(first.version))
        .await
        .unwrap()
        .into_inner();
    assert!(
        same.unchanged && same.member_ids.is_empty(),
        "an unchanged group sends no list"
    );

    api.call(
        "POST",
        &format!("/groups/{group}/join"),
        Some(&guest_token),
        None,
    );
    let grown = account
        .group_members(ask(first.version))
        .await
        .unwrap()
        .into_inner();
    assert!(grown.version > first.version && !grown.unchanged);
    assert_eq!(grown.member_ids.len(), 2);
    api.call(
        "PUT",
        &format!("/groups/{group}/mutes/{guest}"),
        Some(&owner_token),
        Some(json!({"duration_s": 60})),
    );
    let muted = account
        .group_members(ask(grown.version))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        muted.muted_ids,
        vec![guest],
        "a mute changes the version too"
    );

    api.call(
        "DELETE",
        &format!("/groups/{group}"),
        Some(&owner_token),
        None,
    );
    let gone = account
        .group_members(ask(muted.version))
        .await
        .unwrap()
        .into_inner();
    assert!(gone.dissolved);
}

#[test]
fn outsiders_and_plain_members_change_nothing() {
    let api = Api::new();
    let (owner, owner_token) = api.new_user("cno");
    let (member, member_token) = api.new_user("cnm");
    let (_, outsider_token) = api.new_user("cnx");
    let group = create(
        &api,
        &owner_token,
        json!({"name": "Guarded", "join_mode": "approval"}),
    );
    let (applicant, applicant_token) = api.new_user("cna");
    let request = api
        .call(
            "POST",
            &format!("/groups/{group}/join"),
            Some(&applicant_token),
            None,
        )
        .body["join_request_id"]
        .as_u64()
        .unwrap();
    // Let `member` in through an approved request, as a plain member.
    let own_request = api
        .call(
            "POST",
            &format!("/groups/{group}/join"),
            Some(&member_token),
            None,
        )
        .body["join_request_id"]
        .as_u64()
        .unwrap();
    api.call(
        "POST",
        &format!("/groups/join-requests/{own_request}/approve"),
        Some(&owner_token),
        None,
    );
    let before = {
        let mut ids = member_ids(&api, &owner_token, group);
        ids.sort_unstable();
        ids
    };

    for token in [&outsider_token, &member_token] {
        let calls = [
            ("DELETE", format!("/groups/{group}/members/{owner}"), None),
            ("PUT", format!("/groups/{group}/admins/{member}"), None),
            ("DELETE", format!("/groups/{group}/admins/{member}"), None),
            (
                "PUT",
                format!("/groups/{group}/mutes/{owner}"),
                Some(json!({"duration_s": 60})),
            ),
            ("DELETE", format!("/groups/{group}/mutes/{owner}"), None),
            (
                "POST",
                format!("/groups/{group}/transfer"),
                Some(json!({"new_owner_id": member})),
            ),
            ("GET", format!("/groups/{group}/join-requests"), None),
            (
                "POST",
                format!("/groups/join-requests/{request}/approve"),
                None,
            ),
            (
                "POST",
                format!("/groups/join-requests/{request}/reject"),
                None,
            ),
            (
                "PATCH",
                format!("/groups/{group}"),
                Some(json!({"join_mode": "open"})),
            ),
            ("DELETE", format!("/groups/{group}"), None),
        ];
        for (method, path, body) in calls {
            let reply = api.call(method, &path, Some(token), body);
            assert!(
                matches!(reply.status, 403 | 404),
                "{method} {path}: {reply:?}"
            );
        }
    }
    let mut after = member_ids(&api, &owner_token, group);
    after.sort_unstable();
    assert_eq!(after, before, "membership unchanged");
    let card = api.call("GET", &format!("/groups/{group}"), Some(&owner_token), None);
    assert_eq!(
        card.body["group"]["join_mode"], "approval",
        "settings unchanged"
    );
    assert_eq!(card.body["group"]["owner_id"], owner, "ownership unchanged");
    let pending = api.call(
        "GET",
        &format!("/groups/{group}/join-requests"),
        Some(&owner_token),
        None,
    );
    let still_pending = pending.body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["join_request_id"] == request && r["status"] == "pending");
    assert!(still_pending, "the applicant's request is still pending");
    let _ = applicant;
}
