//! Who is calling: API tokens (`Authorization: Bearer <token>`, or basic auth with the token as
//! password, which is what helm sends), each either a server admin or holding roles in projects.
//! A caller with no role in a project is told the project does not exist.

use std::collections::BTreeMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use crate::crypto;
use crate::db::{self, Db};
use crate::error::ApiError;
use crate::AppState;

/// What a token may do in a project; each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Read everything of the project.
    Viewer,
    /// Edit services, report environments, upload charts.
    Developer,
    /// Create, retry and delete versions.
    ReleaseManager,
    /// Change the project and its hooks.
    Admin,
}

/// The caller of a request.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) token_id: String,
    pub(crate) name: String,
    pub(crate) admin: bool,
    pub(crate) roles: BTreeMap<String, Role>,
}

impl Caller {
    /// Allows `role` in `project`; a caller without any role there gets a 404, as if the
    /// project did not exist.
    pub(crate) fn require(&self, project: &str, role: Role) -> Result<(), ApiError> {
        if self.admin {
            return Ok(());
        }
        match self.roles.get(project) {
            None => Err(ApiError::NotFound(format!("project `{project}`"))),
            Some(held) if *held >= role => Ok(()),
            Some(held) => Err(ApiError::Forbidden(format!(
                "this token is {} in project `{project}`; this call needs {}",
                role_name(*held),
                role_name(role)
            ))),
        }
    }

    pub(crate) fn require_admin(&self) -> Result<(), ApiError> {
        if self.admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "this call needs a server admin token".to_owned(),
            ))
        }
    }

    /// Whether the caller may see `project` at all.
    pub(crate) fn sees(&self, project: &str) -> bool {
        self.admin || self.roles.contains_key(project)
    }

    /// Whether the caller holds at least `role` somewhere (chart uploads).
    pub(crate) fn holds_anywhere(&self, role: Role) -> bool {
        self.admin || self.roles.values().any(|held| *held >= role)
    }

    /// How the audit log names the caller.
    pub(crate) fn actor(&self) -> String {
        format!("{} ({})", self.name, self.token_id)
    }
}

pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Developer => "developer",
        Role::ReleaseManager => "release-manager",
        Role::Admin => "admin",
    }
}

/// The token in the headers, if any.
fn presented_token(headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    if let Some(token) = value.strip_prefix("Bearer ") {
        return Some(token.trim().to_owned());
    }
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (_, password) = text.split_once(':')?;
    Some(password.to_owned())
}

/// The caller, when the request carries a valid token; an invalid one is an error, not an
/// anonymous call.
pub(crate) async fn optional_caller(
    db: &Db,
    headers: &HeaderMap,
) -> Result<Option<Caller>, ApiError> {
    let Some(token) = presented_token(headers) else {
        return Ok(None);
    };
    let row = sqlx::query(
        "SELECT id, name, admin, roles FROM tokens WHERE hash = $1 AND revoked_at IS NULL",
    )
    .bind(crypto::token_hash(&token))
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else {
        return Err(ApiError::Unauthorized);
    };
    Ok(Some(Caller {
        token_id: row.try_get("id")?,
        name: row.try_get("name")?,
        admin: row.try_get::<i64, _>("admin")? != 0,
        roles: db::json_column(&row, "roles")?,
    }))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        optional_caller(&state.db, &parts.headers)
            .await?
            .ok_or(ApiError::Unauthorized)
    }
}

/// Makes sure an admin token exists. `VERSO_ADMIN_TOKEN` sets it (and replaces a previous
/// one); otherwise the first start creates one and returns it so it can be printed once.
pub(crate) async fn bootstrap_admin(
    db: &Db,
    from_env: Option<&str>,
) -> anyhow::Result<Option<String>> {
    const ID: &str = "tok_admin";
    if let Some(token) = from_env {
        anyhow::ensure!(
            token.len() >= 16,
            "VERSO_ADMIN_TOKEN is too short: use at least 16 random characters"
        );
        sqlx::query(
            "INSERT INTO tokens (id, name, hash, admin, roles, created_at, created_by) VALUES ($1, 'admin', $2, 1, '{}', $3, 'verso serve') \
             ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, revoked_at = NULL",
        )
        .bind(ID)
        .bind(crypto::token_hash(token))
        .bind(db::now_ms())
        .execute(&db.pool)
        .await?;
        return Ok(None);
    }
    let token = crypto::new_token();
    let inserted = sqlx::query(
        "INSERT INTO tokens (id, name, hash, admin, roles, created_at, created_by) VALUES ($1, 'admin', $2, 1, '{}', $3, 'verso serve') \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(ID)
    .bind(crypto::token_hash(&token))
    .bind(db::now_ms())
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok((inserted == 1).then_some(token))
}
