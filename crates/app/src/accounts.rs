//! Creating organizations and users with the rules of DESIGN.md's users table: enterprises need a
//! valid 统一社会信用代码, and each role belongs to the right kind of organization.
//! Shared by the API, the CLI and the demo loader.

use crate::auth;
use crate::error::{AppError, AppResult, Code, Found};
use crate::state::App;
use model::role::{OrgKind, Role};
use serde::Deserialize;
use store::{NewOrganization, NewUser, Organization, User};

/// 403 unless `user` is an authority admin.
pub fn require_authority(user: &User) -> AppResult<()> {
    if user.role == Role::Authority {
        Ok(())
    } else {
        Err(AppError::new(
            Code::Forbidden,
            "Only an administrator of the data authority may do this.",
        ))
    }
}

/// Input for a new organization.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrgInput {
    /// Slug: 2 to 100 lower-case letters, digits, `-` and `_`, starting with a letter or digit.
    pub name: String,
    /// Title.
    pub title: String,
    /// Kind.
    pub kind: OrgKind,
    /// 统一社会信用代码, required for enterprises.
    #[serde(default)]
    pub uscc: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

/// Validates and creates an organization.
pub async fn create_org(app: &App, input: NewOrgInput, now: i64) -> AppResult<Organization> {
    let store = &app.store;
    model::ident::validate_slug(&input.name).map_err(|e| {
        AppError::new(
            Code::InvalidName,
            format!("Invalid organization name `{}`: {e}.", input.name),
        )
    })?;
    if input.title.trim().is_empty() {
        return Err(AppError::new(Code::InvalidField, "`title` is required."));
    }
    let uscc = input
        .uscc
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty());
    match (&uscc, input.kind) {
        (None, OrgKind::Enterprise) => {
            return Err(AppError::new(
                Code::InvalidUscc,
                "An enterprise needs its unified social credit code (统一社会信用代码) in `uscc`.",
            ))
        }
        (Some(code), _) if !model::ident::is_valid_uscc(code) => {
            return Err(AppError::new(
                Code::InvalidUscc,
                format!("`{code}` is not a valid unified social credit code: it must be 18 characters of 0-9 and A-Y without I, O, S, V, Z, ending in the correct check character."),
            ))
        }
        _ => {}
    }
    Ok(store
        .create_org(NewOrganization {
            name: input.name,
            title: input.title.trim().to_string(),
            kind: input.kind,
            uscc,
            description: input.description,
            now,
        })
        .await?)
}

/// Input for a new user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserInput {
    /// Login name: 2 to 64 letters, digits, `-`, `_` and `.`.
    pub username: String,
    /// Shown name; defaults to the username.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Role.
    pub role: Role,
    /// Organization slug, for roles bound to one.
    #[serde(default)]
    pub organization: Option<String>,
    /// Initial password, at least 8 characters.
    pub password: String,
}

/// Validates and creates a user.
pub async fn create_user(app: &App, input: NewUserInput, now: i64) -> AppResult<User> {
    let store = &app.store;
    let username = input.username.trim().to_string();
    let valid_name = (2..=64).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid_name {
        return Err(AppError::new(
            Code::InvalidName,
            "A username must be 2 to 64 characters of letters, digits, `-`, `_` and `.`.",
        ));
    }
    auth::check_new_password(&input.password)?;
    let org = match &input.organization {
        Some(name) => Some(org_by_name(app, name).await?),
        None => None,
    };
    match (input.role.required_org_kind(), &org) {
        (Some(kind), Some(o)) if o.kind != kind => {
            return Err(AppError::new(
                Code::InvalidField,
                format!(
                    "A {} must belong to an organization of kind `{kind}`, but `{}` is `{}`.",
                    input.role.label_en(),
                    o.name,
                    o.kind
                ),
            ))
        }
        (Some(kind), None) => {
            return Err(AppError::new(
                Code::InvalidField,
                format!(
                    "A {} must belong to an organization of kind `{kind}`: give `organization`.",
                    input.role.label_en()
                ),
            ))
        }
        (None, Some(_)) => {
            return Err(AppError::new(
                Code::InvalidField,
                format!(
                    "A {} does not belong to an organization: leave `organization` out.",
                    input.role.label_en()
                ),
            ))
        }
        _ => {}
    }
    let password = input.password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(AppError::internal)??;
    Ok(store
        .create_user(NewUser {
            display_name: input
                .display_name
                .filter(|d| !d.trim().is_empty())
                .unwrap_or_else(|| username.clone()),
            username,
            role: input.role,
            org_id: org.map(|o| o.id),
            password_hash: hash,
            now,
        })
        .await?)
}

/// An organization by slug, or `organization_not_found`.
pub async fn org_by_name(app: &App, name: &str) -> AppResult<Organization> {
    app.store.get_org_by_name(name).await.or_missing(|| {
        AppError::new(
            Code::OrgNotFound,
            format!("There is no organization named `{name}`."),
        )
    })
}

/// An organization by id (as records refer to it).
pub async fn org_by_id(app: &App, id: &str) -> AppResult<Organization> {
    Ok(app.store.get_org(id).await?)
}

/// Every organization.
pub async fn list_orgs(app: &App) -> AppResult<Vec<Organization>> {
    Ok(app.store.list_orgs().await?)
}

/// Every user.
pub async fn list_users(app: &App) -> AppResult<Vec<User>> {
    Ok(app.store.list_users().await?)
}

/// A user by login name, or `user_not_found`.
pub async fn user_by_username(app: &App, username: &str) -> AppResult<User> {
    app.store
        .get_user_by_username(username)
        .await
        .or_missing(|| {
            AppError::new(
                Code::UserNotFound,
                format!("There is no user named `{username}`."),
            )
        })
}

/// A user by id (as records refer to it).
pub async fn user_by_id(app: &App, id: &str) -> AppResult<User> {
    Ok(app.store.get_user(id).await?)
}
