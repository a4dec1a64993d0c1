//! `user/*`: registration, login, the caller's profile and user search. The seed's `name` is
//! our nickname; passwords go to the account service, which keeps only their hash.

use crate::limits::Action;
use chat_wire::seed::requests::{Credentials, NewUser, Search};
use std::sync::Arc;

use axum::extract::State;
use chat_proto::account as pb;
use chat_proto::common::{PageRequest, Relation};
use serde::Serialize;
use tonic::Code;

use super::SeedState;
use super::auth::{SeedCaller, SeedClientAddr};
use super::body::SeedBody;
use super::envelope::{Done, SeedError, SeedResult, code};

/// The user the seed's client shows.
#[derive(Serialize)]
pub struct SeedUser {
    id: u64,
    username: String,
    name: String,
}

/// `user/insertUser`: registers; our bounds apply (username 3-32 characters, password at
/// least 8), refused with code 400.
pub async fn insert_user(
    State(state): State<Arc<SeedState>>,
    SeedClientAddr(client_addr): SeedClientAddr,
    SeedBody(body): SeedBody<NewUser>,
) -> SeedResult<SeedUser> {
    state
        .limits
        .check(Action::Register, None, &client_addr)
        .await?;
    if body.password != body.confirm_pwd {
        return Err(SeedError::bad_request("the passwords differ"));
    }
    let nickname = if body.name.trim().is_empty() {
        body.username.clone()
    } else {
        body.name
    };
    let reply = state
        .account
        .clone()
        .register_user(pb::RegisterUserRequest {
            username: body.username,
            password: body.password,
            nickname,
        })
        .await?
        .into_inner();
    let user = reply.user.unwrap_or_default();
    Ok(Done(SeedUser {
        id: user.user_id,
        username: user.username,
        name: user.nickname,
    }))
}

/// `user/login`: `data` is the token. A failed login is 509 whether or not the username
/// exists (the seed answered 508 for an unknown one; we do not tell who has an account).
pub async fn login(
    State(state): State<Arc<SeedState>>,
    SeedClientAddr(client_addr): SeedClientAddr,
    SeedBody(body): SeedBody<Credentials>,
) -> SeedResult<String> {
    state
        .limits
        .check(Action::Login, None, &client_addr)
        .await?;
    let reply = state
        .account
        .clone()
        .login(pb::LoginRequest {
            username: body.username,
            password: body.password,
            client_addr,
            device: "seed".to_owned(),
        })
        .await
        .map_err(|status| {
            if status.code() == Code::Unauthenticated {
                SeedError::new(code::WRONG_PASSWORD, "invalid username or password")
            } else {
                SeedError::from(status)
            }
        })?
        .into_inner();
    Ok(Done(reply.token))
}

/// `user/userInfo`: the caller.
pub async fn user_info(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
) -> SeedResult<SeedUser> {
    let user = state
        .account
        .clone()
        .get_me(pb::GetMeRequest {
            actor_id: caller.user_id,
        })
        .await?
        .into_inner();
    Ok(Done(SeedUser {
        id: user.user_id,
        username: user.username,
        name: user.nickname,
    }))
}

/// A search hit.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedHit {
    id: u64,
    username: String,
    name: String,
    /// Already a friend.
    friend_relation: bool,
}

/// `user/searchUser`: users matching the text (username or nickname), without the caller;
/// an empty text finds nobody.
pub async fn search_user(
    State(state): State<Arc<SeedState>>,
    caller: SeedCaller,
    SeedBody(body): SeedBody<Search>,
) -> SeedResult<Vec<SeedHit>> {
    state
        .limits
        .check(Action::Search, Some(caller.user_id), &caller.addr)
        .await?;
    let query = body.username.trim().to_owned();
    if query.is_empty() {
        return Ok(Done(Vec::new()));
    }
    let reply = state
        .account
        .clone()
        .search_users(pb::SearchUsersRequest {
            actor_id: caller.user_id,
            query,
            page: Some(PageRequest::default()),
        })
        .await?
        .into_inner();
    let hits = reply
        .hits
        .into_iter()
        .filter(|hit| hit.relation != Relation::Self_ as i32)
        .filter_map(|hit| {
            let user = hit.user?;
            Some(SeedHit {
                id: user.user_id,
                username: user.username,
                name: user.nickname,
                friend_relation: hit.relation == Relation::Friend as i32,
            })
        })
        .collect();
    Ok(Done(hits))
}
