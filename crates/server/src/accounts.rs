//! Creating organizations and users with the rules of DESIGN.md's users table: enterprises need a
//! valid 统一社会信用代码, and each role belongs to the right kind of organization.
//! Shared by the API, the CLI and the demo loader.

use crate::auth;
use crate::error::{ApiError, ApiResult, Code};
use model::role::{OrgKind, Role};
use serde::Deserialize;
use store::{DynStore, NewOrganization, NewUser, Organization, User};

/// 403 unless `user` is an authority admin.
pub fn require_authority(user: &User) -> ApiResult<()> {
    if user.role == Role::Authority {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::Forbidden,
            "Only an administrator of the data authority may do this.",
        ))
    }
}

/// Input for a new organization.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrgInput {
    /// Slug: 2 to 100 lower-case letters, digits, `-` and `_`, starting with a letter or digit.
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{1,99}$")]
    pub name: String,
    /// Title.
    #[schema(min_length = 1)]
    pub title: String,
    /// Kind.
    #[schema(value_type = crate::api::openapi::OrgKind)]
    pub kind: OrgKind,
    /// 统一社会信用代码, required for enterprises.
    #[serde(default)]
    #[schema(nullable = false)]
    pub uscc: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

/// Validates and creates an organization.
pub async fn create_org(store: &DynStore, input: NewOrgInput, now: i64) -> ApiResult<Organization> {
    model::ident::validate_slug(&input.name).map_err(|e| {
        ApiError::new(
            Code::InvalidName,
            format!("Invalid organization name `{}`: {e}.", input.name),
        )
    })?;
    if input.title.trim().is_empty() {
        return Err(ApiError::new(Code::InvalidField, "`title` is required."));
    }
    let uscc = input
        .uscc
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty());
    match (&uscc, input.kind) {
        (None, OrgKind::Enterprise) => {
            return Err(ApiError::new(
                Code::InvalidUscc,
                "An enterprise needs its unified social credit code (统一社会信用代码) in `uscc`.",
            ))
        }
        (Some(code), _) if !model::ident::is_valid_uscc(code) => {
            return Err(ApiError::new(
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
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserInput {
    /// Login name: 2 to 64 letters, digits, `-`, `_` and `.`.
    #[schema(pattern = "^[A-Za-z0-9._-]{2,64}$")]
    pub username: String,
    /// Shown name; defaults to the username.
    #[serde(default)]
    #[schema(nullable = false)]
    pub display_name: Option<String>,
    /// Role.
    #[schema(value_type = crate::api::openapi::Role)]
    pub role: Role,
    /// Organization slug, for roles bound to one.
    #[serde(default)]
    #[schema(nullable = false)]
    pub organization: Option<String>,
    /// Initial password, at least 8 characters.
    #[schema(min_length = 8)]
    pub password: String,
}

/// Validates and creates a user.
pub async fn create_user(store: &DynStore, input: NewUserInput, now: i64) -> ApiResult<User> {
    let username = input.username.trim().to_string();
    let valid_name = (2..=64).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid_name {
        return Err(ApiError::new(
            Code::InvalidName,
            "A username must be 2 to 64 characters of letters, digits, `-`, `_` and `.`.",
        ));
    }
    auth::check_new_password(&input.password)?;
    let org = match &input.organization {
        Some(name) => Some(match store.get_org_by_name(name).await {
            Ok(o) => o,
            Err(store::StoreError::NotFound) => {
                return Err(ApiError::new(
                    Code::OrgNotFound,
                    format!("There is no organization named `{name}`."),
                ))
            }
            Err(e) => return Err(e.into()),
        }),
        None => None,
    };
    match (input.role.required_org_kind(), &org) {
        (Some(kind), Some(o)) if o.kind != kind => {
            return Err(ApiError::new(
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
            return Err(ApiError::new(
                Code::InvalidField,
                format!(
                    "A {} must belong to an organization of kind `{kind}`: give `organization`.",
                    input.role.label_en()
                ),
            ))
        }
        (None, Some(_)) => {
            return Err(ApiError::new(
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
        .map_err(ApiError::internal)??;
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
