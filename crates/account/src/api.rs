//! The Account gRPC service: thin glue from each RPC to the logic that serves it. RPCs of the
//! social layer not yet built answer UNIMPLEMENTED (generated default stubs).

use chat_proto::account as pb;
use chat_proto::account::account_server::Account;
use chat_proto::common::UserProfile;
use tonic::{Request, Response, Status};

use crate::accounts::Accounts;

/// The gRPC face of the account service.
pub struct AccountApi {
    pub accounts: Accounts,
}

#[tonic::async_trait]
impl Account for AccountApi {
    async fn register_user(
        &self,
        request: Request<pb::RegisterUserRequest>,
    ) -> Result<Response<pb::RegisterUserResponse>, Status> {
        let user = self.accounts.register(request.into_inner()).await?;
        Ok(Response::new(pb::RegisterUserResponse { user: Some(user) }))
    }

    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        Ok(Response::new(
            self.accounts.login(request.into_inner()).await?,
        ))
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        self.accounts.logout(&request.into_inner().token).await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn authenticate(
        &self,
        request: Request<pb::AuthenticateRequest>,
    ) -> Result<Response<pb::AuthenticateResponse>, Status> {
        let (session, user) = self
            .accounts
            .authenticate(&request.into_inner().token)
            .await?;
        Ok(Response::new(pb::AuthenticateResponse {
            user_id: user.id,
            username: user.username,
            expires_at_ms: session.expires_at_ms,
            session_id: session.session_id,
        }))
    }

    async fn get_me(
        &self,
        request: Request<pb::GetMeRequest>,
    ) -> Result<Response<UserProfile>, Status> {
        Ok(Response::new(
            self.accounts.me(request.into_inner().actor_id).await?,
        ))
    }

    async fn update_profile(
        &self,
        request: Request<pb::UpdateProfileRequest>,
    ) -> Result<Response<UserProfile>, Status> {
        Ok(Response::new(
            self.accounts.update_profile(request.into_inner()).await?,
        ))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        self.accounts.change_password(request.into_inner()).await?;
        Ok(Response::new(pb::ChangePasswordResponse {}))
    }

    async fn get_users(
        &self,
        request: Request<pb::GetUsersRequest>,
    ) -> Result<Response<pb::GetUsersResponse>, Status> {
        let users = self
            .accounts
            .get_users(&request.into_inner().user_ids)
            .await?;
        Ok(Response::new(pb::GetUsersResponse { users }))
    }

    async fn search_users(
        &self,
        request: Request<pb::SearchUsersRequest>,
    ) -> Result<Response<pb::SearchUsersResponse>, Status> {
        Ok(Response::new(
            self.accounts.search(request.into_inner()).await?,
        ))
    }
}
