//! Who is asking: passwords, browser sessions, API tokens, and sign-in with throttling.
//!
//! The store keeps only SHA-256 hashes of session and token secrets, and Argon2id hashes of
//! passwords. How a secret travels (a cookie, a bearer header) is the server's business; this
//! module turns a secret into a user or refuses it.

use crate::clock::{now_ms, DAY_MS};
use crate::error::{AppError, AppResult, Code, Found};
use crate::state::App;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use store::{ApiToken, Session, User};

/// Prefix of API token secrets, so leaked tokens are recognisable by scanners.
pub const TOKEN_PREFIX: &str = "gs_";

/// Hashes a password with Argon2id and a random salt.
pub fn hash_password(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

/// Checks a password against a stored hash; false for a malformed hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Rules for new passwords.
pub fn check_new_password(password: &str) -> AppResult<()> {
    if password.chars().count() < 8 {
        return Err(AppError::new(
            Code::InvalidField,
            "The password must have at least 8 characters.",
        ));
    }
    Ok(())
}

/// 32 random bytes as hex.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 hex of a secret: what the store keeps instead of the secret.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Argon2id hash of a random password nobody knows.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zq3Ld0ecSDuTyyuLx5bQU8bVxF9O5gbBqpQgU3L2TzY";

/// Checks a username and password, with throttling per account and per client address.
pub async fn login(
    app: &App,
    username: &str,
    password: &str,
    client: Option<IpAddr>,
) -> AppResult<User> {
    if let Some(wait) = app.throttle.attempt(&app.store, username, client).await? {
        let mut e = AppError::new(
            Code::TooManyAttempts,
            format!(
                "Too many failed sign-in attempts. Wait {} minutes and try again.",
                wait.div_ceil(60)
            ),
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    let user = app.store.get_user_by_username(username).await.found()?;
    // Verify against a dummy hash for unknown users so timing does not reveal which names exist.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.as_str())
        .unwrap_or(DUMMY_HASH)
        .to_string();
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(AppError::internal)?;
    match user {
        Some(u) if ok => {
            app.throttle.succeed(&app.store, username, client).await?;
            Ok(u)
        }
        _ => Err(AppError::new(
            Code::InvalidCredentials,
            "The username or password is wrong.",
        )),
    }
}

/// A session just started: the secret to hand to the browser once, and how long it lasts.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The secret; the store keeps only its hash.
    pub secret: String,
    /// Hours until it expires.
    pub hours: u64,
}

/// Starts a browser session for `user`.
pub async fn start_session(app: &App, user: &User) -> AppResult<NewSession> {
    let secret = random_secret();
    let now = now_ms();
    let hours = app.config.session_hours;
    app.store
        .create_session(Session {
            id_hash: secret_hash(&secret),
            user_id: user.id.clone(),
            csrf_token: random_secret(),
            created_at: now,
            expires_at: now + hours as i64 * 3_600_000,
        })
        .await?;
    Ok(NewSession { secret, hours })
}

/// The user and session a session secret belongs to, if it is known and current. An account
/// that no longer exists simply has no session.
pub async fn session(app: &App, secret: &str) -> AppResult<Option<(User, Session)>> {
    let found = app.store.get_session(&secret_hash(secret), now_ms()).await;
    let Some(session) = found.found()? else {
        return Ok(None);
    };
    let user = app.store.get_user(&session.user_id).await.found()?;
    Ok(user.map(|u| (u, session)))
}

/// Ends a session (signing out).
pub async fn end_session(app: &App, session: &Session) -> AppResult<()> {
    Ok(app.store.delete_session(&session.id_hash).await?)
}

/// The user an API token belongs to, with the token's expiry; `invalid_token` if it is unknown,
/// revoked or expired.
pub async fn user_for_token(app: &App, secret: &str) -> AppResult<(User, Option<i64>)> {
    let invalid = |msg: &str| AppError::new(Code::InvalidToken, msg.to_string());
    let token = app
        .store
        .get_token_by_hash(&secret_hash(secret))
        .await
        .or_missing(|| invalid("The API token is not known. Check it, or create a new one."))?;
    let now = now_ms();
    if token.revoked_at.is_some() {
        return Err(invalid("The API token was revoked. Create a new one."));
    }
    if token.expires_at.is_some_and(|t| t <= now) {
        return Err(invalid("The API token has expired. Create a new one."));
    }
    Ok((app.store.get_user(&token.user_id).await?, token.expires_at))
}

/// Creates an API token for a user; returns the stored record and the secret, which is shown
/// once. `not_after` caps the expiry (Unix ms): a token created with another token may not
/// outlive it.
pub async fn create_token(
    app: &App,
    user: &User,
    name: &str,
    days: Option<u32>,
    not_after: Option<i64>,
) -> AppResult<(ApiToken, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::new(
            Code::InvalidField,
            "Give the token a name of 1 to 100 characters.",
        ));
    }
    if days.is_some_and(|d| d == 0 || d > 366) {
        return Err(AppError::new(
            Code::InvalidField,
            "A token may last 1 to 366 days.",
        ));
    }
    let secret = format!("{TOKEN_PREFIX}{}", random_secret());
    let now = now_ms();
    let token = ApiToken {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user.id.clone(),
        name: name.to_string(),
        token_hash: secret_hash(&secret),
        created_at: now,
        expires_at: match (days.map(|d| now + d as i64 * DAY_MS), not_after) {
            (Some(e), Some(cap)) => Some(e.min(cap)),
            (e, cap) => e.or(cap),
        },
        revoked_at: None,
    };
    app.store.create_token(token.clone()).await?;
    Ok((token, secret))
}

/// The user's API tokens (without their secrets, which the store never had).
pub async fn list_tokens(app: &App, user: &User) -> AppResult<Vec<ApiToken>> {
    Ok(app.store.list_tokens(&user.id).await?)
}

/// Revokes one of the user's tokens; `token_not_found` for a token that is not theirs.
pub async fn revoke_token(app: &App, user: &User, id: &str) -> AppResult<()> {
    app.store
        .revoke_token(&user.id, id, now_ms())
        .await
        .or_missing(|| AppError::new(Code::TokenNotFound, "You have no token with that id."))
}

/// Sets a user's password; the store ends their sessions and revokes their API tokens.
pub async fn set_password(app: &App, user: &User, password: &str) -> AppResult<()> {
    check_new_password(password)?;
    let password = password.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(AppError::internal)??;
    Ok(app
        .store
        .set_password_hash(&user.id, &hash, now_ms())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(!verify_password("x", DUMMY_HASH));
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
