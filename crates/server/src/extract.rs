//! Who is asking, as extractors: the portal's visitor (a session cookie, with the session's CSRF
//! token for every form) and the JSON API's caller (a bearer token only; cookies are ignored,
//! so a cross-site page can never make a signed-in browser write through the API).
//!
//! Checking a secret is the application layer's work ([`app::auth`]); this module only finds the
//! secret in the request and builds the cookies.

use crate::error::{ApiError, ApiResult};
use crate::i18n::Lang;
use crate::state::SharedState;
use app::auth;
use app::dataservice::Asker;
use app::Code;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use std::net::SocketAddr;
use store::{Session, User};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "gongshu_session";
/// Name of the cookie that carries the CSRF token of the login form (double submit).
pub const LOGIN_CSRF_COOKIE: &str = "gongshu_login_csrf";

/// The cookie that carries a new session: HttpOnly, SameSite=Lax, Secure behind TLS.
pub fn session_cookie(state: &SharedState, session: auth::NewSession) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, session.secret))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config().secure_cookies())
        .max_age(time::Duration::hours(session.hours as i64))
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
    pub fn check_csrf(&self, submitted: &str) -> ApiResult<()> {
        match &self.session {
            Some(s) if auth::constant_time_eq(s.csrf_token.as_bytes(), submitted.as_bytes()) => Ok(()),
            _ => Err(ApiError::new(
                Code::CsrfFailed,
                "The form has expired or did not come from this site. Reload the page and submit it again.",
            )),
        }
    }
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
            if let Some((user, session)) = auth::session(state, cookie.value()).await? {
                visitor.user = Some(user);
                visitor.session = Some(session);
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
    pub fn require(&self) -> ApiResult<&User> {
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
        let user = auth::user_for_token(state, secret).await?;
        Ok(Caller {
            token_expires_at: user.1,
            user: Some(user.0),
            client: client_addr(parts).map(|a| a.ip()),
        })
    }
}

impl Caller {
    /// The caller as the access log records them.
    pub fn asker(&self) -> Asker<'_> {
        Asker {
            user: self.user.as_ref(),
            client: self.client,
        }
    }
}

impl Visitor {
    /// The visitor as the access log records them.
    pub fn asker(&self) -> Asker<'_> {
        Asker {
            user: self.user.as_ref(),
            client: self.addr.map(|a| a.ip()),
        }
    }
}
