//! Who is asking: passwords, browser sessions with CSRF tokens, API tokens, and login throttling.
//!
//! The portal authenticates with a session cookie (HttpOnly, SameSite=Lax, Secure behind TLS) and
//! every form carries the session's CSRF token. The JSON API authenticates with bearer tokens only
//! and ignores cookies, so a cross-site page can never make a signed-in browser write through it.

use crate::error::{ApiError, Code};
use crate::i18n::Lang;
use crate::state::SharedState;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use store::{Session, User};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "gongshu_session";
/// Name of the cookie that carries the CSRF token of the login form (double submit).
pub const LOGIN_CSRF_COOKIE: &str = "gongshu_login_csrf";
/// Prefix of API token secrets, so leaked tokens are recognisable by scanners.
pub const TOKEN_PREFIX: &str = "gs_";

/// Hashes a password with Argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
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
pub fn check_new_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 8 {
        return Err(ApiError::new(
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

/// Current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

/// Counts failed logins per account and per client address, and refuses further attempts for a
/// while once a key has failed too often.
pub struct Throttle {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Throttle {
    /// A throttle allowing `max_failures` within 15 minutes.
    pub fn new(max_failures: u32) -> Self {
        Throttle {
            max_failures,
            window: Duration::from_secs(15 * 60),
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, addr: Option<SocketAddr>) -> Vec<String> {
        let mut keys = vec![format!("user:{}", username.to_lowercase())];
        if let Some(a) = addr {
            keys.push(format!("addr:{}", a.ip()));
        }
        keys
    }

    /// Starts an attempt: seconds to wait if this account or address is locked out, else counts
    /// the attempt as a failure until [`Throttle::succeed`] takes it back. Checking and counting
    /// under one lock means parallel requests cannot all slip past the check before the slow
    /// password hash records their failures.
    pub fn attempt(&self, username: &str, addr: Option<SocketAddr>) -> Option<u64> {
        let mut map = self.failures.lock().expect("throttle lock");
        // Forget stale entries so the map cannot grow without bound under a spray of names.
        let window = self.window;
        map.retain(|_, (_, since)| since.elapsed() < window);
        let keys = Self::keys(username, addr);
        let locked = keys.iter().find_map(|k| {
            let (count, since) = map.get(k)?;
            (*count >= self.max_failures).then(|| (window - since.elapsed()).as_secs().max(1))
        });
        if locked.is_none() {
            for k in keys {
                map.entry(k).or_insert((0, Instant::now())).0 += 1;
            }
        }
        locked
    }

    /// Takes back the attempt of a successful login and clears the account's failures.
    pub fn succeed(&self, username: &str, addr: Option<SocketAddr>) {
        let mut map = self.failures.lock().expect("throttle lock");
        map.remove(&format!("user:{}", username.to_lowercase()));
        if let Some(a) = addr {
            if let Some(entry) = map.get_mut(&format!("addr:{}", a.ip())) {
                entry.0 = entry.0.saturating_sub(1);
            }
        }
    }
}

/// Checks a username and password, with throttling. Returns the user.
pub async fn login(
    state: &SharedState,
    username: &str,
    password: &str,
    addr: Option<SocketAddr>,
) -> Result<User, ApiError> {
    if let Some(wait) = state.throttle.attempt(username, addr) {
        let mut e = ApiError::new(
            Code::TooManyAttempts,
            format!(
                "Too many failed sign-in attempts. Wait {} minutes and try again.",
                wait.div_ceil(60)
            ),
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    let user = match state.store.get_user_by_username(username).await {
        Ok(u) => Some(u),
        Err(store::StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    // Verify against a dummy hash for unknown users so timing does not reveal which names exist.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.as_str())
        .unwrap_or(DUMMY_HASH);
    let password = password.to_string();
    let hash = hash.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(ApiError::internal)?;
    match user {
        Some(u) if ok => {
            state.throttle.succeed(username, addr);
            Ok(u)
        }
        _ => Err(ApiError::new(
            Code::InvalidCredentials,
            "The username or password is wrong.",
        )),
    }
}

/// Argon2id hash of a random password nobody knows.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zq3Ld0ecSDuTyyuLx5bQU8bVxF9O5gbBqpQgU3L2TzY";

/// Starts a session for `user`; returns the cookie to set.
pub async fn start_session(state: &SharedState, user: &User) -> Result<Cookie<'static>, ApiError> {
    let secret = random_secret();
    let now = now_ms();
    state
        .store
        .create_session(Session {
            id_hash: secret_hash(&secret),
            user_id: user.id.clone(),
            csrf_token: random_secret(),
            created_at: now,
            expires_at: now + state.config.session_hours as i64 * 3_600_000,
        })
        .await?;
    Ok(session_cookie(state, secret))
}

fn session_cookie(state: &SharedState, value: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .max_age(time::Duration::hours(state.config.session_hours as i64))
        .build()
}

/// A cookie that removes the session cookie.
pub fn clear_session_cookie() -> Cookie<'static> {
    let mut c = Cookie::build((SESSION_COOKIE, "")).path("/").build();
    c.make_removal();
    c
}

/// The visitor of a portal page: language, and the signed-in user with their session if any.
#[derive(Clone)]
pub struct Visitor {
    /// Language of the page.
    pub lang: Lang,
    /// The signed-in user.
    pub user: Option<User>,
    /// Their session (for the CSRF token).
    pub session: Option<Session>,
    /// The client address, when known.
    pub addr: Option<SocketAddr>,
}

impl Visitor {
    /// The CSRF token forms must carry (empty for anonymous visitors, whose forms need none but login).
    pub fn csrf(&self) -> &str {
        self.session
            .as_ref()
            .map(|s| s.csrf_token.as_str())
            .unwrap_or("")
    }

    /// Checks a submitted CSRF token against the session's.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), ApiError> {
        match &self.session {
            Some(s) if constant_time_eq(s.csrf_token.as_bytes(), submitted.as_bytes()) => Ok(()),
            _ => Err(ApiError::new(
                Code::CsrfFailed,
                "The form has expired or did not come from this site. Reload the page and submit it again.",
            )),
        }
    }
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The client's address, when the server knows it (always, when served by [`crate::serve`]).
pub struct ClientAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts)))
    }
}

fn client_addr(parts: &Parts) -> Option<SocketAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

impl FromRequestParts<SharedState> for Visitor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> Result<Self, ApiError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = Lang::from_request(&jar, &parts.headers);
        let mut visitor = Visitor {
            lang,
            user: None,
            session: None,
            addr: client_addr(parts),
        };
        if let Some(cookie) = jar.get(SESSION_COOKIE) {
            match state
                .store
                .get_session(&secret_hash(cookie.value()), now_ms())
                .await
            {
                Ok(session) => match state.store.get_user(&session.user_id).await {
                    Ok(user) => {
                        visitor.user = Some(user);
                        visitor.session = Some(session);
                    }
                    // The account is gone: the visitor is simply signed out.
                    Err(store::StoreError::NotFound) => {}
                    Err(e) => return Err(e.into()),
                },
                Err(store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(visitor)
    }
}

/// The caller of the JSON API: a user authenticated by bearer token, or anonymous.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The user, if a valid token was given.
    pub user: Option<User>,
    /// The token's expiry (Unix ms), when the token expires.
    pub token_expires_at: Option<i64>,
    /// The client's address, for the private detail of the access log.
    pub client: Option<std::net::IpAddr>,
}

impl Caller {
    /// The user, or 401 if the request was anonymous.
    pub fn require(&self) -> Result<&User, ApiError> {
        self.user.as_ref().ok_or_else(|| {
            ApiError::new(
                Code::Unauthenticated,
                "This endpoint needs an API token. Send it as `Authorization: Bearer gs_…`; create one under “API tokens” in the portal or with `gongshu user token`.",
            )
        })
    }
}

impl FromRequestParts<SharedState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> Result<Self, ApiError> {
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(Caller {
                user: None,
                token_expires_at: None,
                client: client_addr(parts).map(|a| a.ip()),
            });
        };
        let invalid = |msg: &str| ApiError::new(Code::InvalidToken, msg.to_string());
        let value = header
            .to_str()
            .map_err(|_| invalid("The Authorization header is not valid text."))?;
        let secret = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| invalid("Use `Authorization: Bearer <token>`."))?;
        let user = user_for_token(state, secret).await?;
        Ok(Caller {
            token_expires_at: user.1,
            user: Some(user.0),
            client: client_addr(parts).map(|a| a.ip()),
        })
    }
}

impl Caller {
    /// The caller as the access log records them.
    pub fn asker(&self) -> crate::dataservice::Asker<'_> {
        crate::dataservice::Asker {
            user: self.user.as_ref(),
            client: self.client,
        }
    }
}

impl Visitor {
    /// The visitor as the access log records them.
    pub fn asker(&self) -> crate::dataservice::Asker<'_> {
        crate::dataservice::Asker {
            user: self.user.as_ref(),
            client: self.addr.map(|a| a.ip()),
        }
    }
}

/// The user an API token belongs to, with the token's expiry; `invalid_token` if it is unknown,
/// revoked or expired.
pub async fn user_for_token(
    state: &SharedState,
    secret: &str,
) -> Result<(User, Option<i64>), ApiError> {
    let invalid = |msg: &str| ApiError::new(Code::InvalidToken, msg.to_string());
    let token = match state.store.get_token_by_hash(&secret_hash(secret)).await {
        Ok(t) => t,
        Err(store::StoreError::NotFound) => {
            return Err(invalid(
                "The API token is not known. Check it, or create a new one.",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let now = now_ms();
    if token.revoked_at.is_some() {
        return Err(invalid("The API token was revoked. Create a new one."));
    }
    if token.expires_at.is_some_and(|t| t <= now) {
        return Err(invalid("The API token has expired. Create a new one."));
    }
    Ok((
        state.store.get_user(&token.user_id).await?,
        token.expires_at,
    ))
}

/// Creates an API token for a user; returns the stored record and the secret, which is shown once.
pub async fn create_token(
    state: &SharedState,
    user: &User,
    name: &str,
    days: Option<u32>,
    not_after: Option<i64>,
) -> Result<(store::ApiToken, String), ApiError> {
    create_token_in(&state.store, user, name, days, not_after).await
}

/// [`create_token`] against a bare store (for the CLI).
/// `not_after` caps the expiry (Unix ms): a token created with another token may not outlive it.
pub async fn create_token_in(
    store: &store::DynStore,
    user: &User,
    name: &str,
    days: Option<u32>,
    not_after: Option<i64>,
) -> Result<(store::ApiToken, String), ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::new(
            Code::InvalidField,
            "Give the token a name of 1 to 100 characters.",
        ));
    }
    if days.is_some_and(|d| d == 0 || d > 366) {
        return Err(ApiError::new(
            Code::InvalidField,
            "A token may last 1 to 366 days.",
        ));
    }
    let secret = format!("{TOKEN_PREFIX}{}", random_secret());
    let now = now_ms();
    let token = store::ApiToken {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user.id.clone(),
        name: name.to_string(),
        token_hash: secret_hash(&secret),
        created_at: now,
        expires_at: match (days.map(|d| now + d as i64 * 86_400_000), not_after) {
            (Some(e), Some(cap)) => Some(e.min(cap)),
            (e, cap) => e.or(cap),
        },
        revoked_at: None,
    };
    store.create_token(token.clone()).await?;
    Ok((token, secret))
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
    fn throttle_locks_after_max_failures() {
        let t = Throttle::new(3);
        let addr: SocketAddr = "10.0.0.1:1".parse().unwrap();
        for _ in 0..3 {
            assert!(t.attempt("alice", Some(addr)).is_none());
        }
        assert!(t.attempt("ALICE", None).is_some(), "locked by account");
        assert!(t.attempt("bob", Some(addr)).is_some(), "locked by address");
        assert!(t.attempt("bob", None).is_none());
        // A success takes its attempt back.
        let t = Throttle::new(2);
        for _ in 0..5 {
            assert!(t.attempt("carol", Some(addr)).is_none());
            t.succeed("carol", Some(addr));
        }
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
