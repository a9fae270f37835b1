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

/// Middleware: behind a trusted load balancer or reverse proxy (`trusted_proxies`), the client of
/// a request is the last address of its X-Forwarded-For header that is not itself a trusted
/// proxy, and [`ClientAddr`] and everything else that asks for the peer address see that one.
/// A request from any other peer keeps its peer address whatever its headers say, so a client
/// cannot choose the address that login throttling counts against.
pub async fn forwarded_client(
    axum::extract::State(state): axum::extract::State<SharedState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let trusted = &state.config().trusted_proxies;
    if !trusted.is_empty() {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        if let Some(peer) = peer.filter(|p| is_trusted(trusted, p.ip())) {
            if let Some(client) = forwarded_for(request.headers(), trusted) {
                request
                    .extensions_mut()
                    .insert(ConnectInfo(SocketAddr::new(client, peer.port())));
            }
        }
    }
    next.run(request).await
}

fn is_trusted(trusted: &[std::net::IpAddr], ip: std::net::IpAddr) -> bool {
    trusted
        .iter()
        .any(|t| t.to_canonical() == ip.to_canonical())
}

/// The rightmost address of the X-Forwarded-For headers (all of them, in order) that is not a
/// trusted proxy; `None` if there is none, or if an entry on the way is not an address (then
/// nothing to its left can be trusted either).
fn forwarded_for(
    headers: &axum::http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> Option<std::net::IpAddr> {
    let mut entries = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        entries.extend(value.to_str().ok()?.split(',').map(str::trim));
    }
    for entry in entries.into_iter().rev() {
        let ip: std::net::IpAddr = entry.parse().ok()?;
        if !is_trusted(trusted, ip) {
            return Some(ip.to_canonical());
        }
    }
    None
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
            run_on: Default::default(),
        }
    }
}

impl Visitor {
    /// The visitor as the access log records them.
    pub fn asker(&self) -> Asker<'_> {
        Asker {
            user: self.user.as_ref(),
            client: self.addr.map(|a| a.ip()),
            run_on: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_last_address_no_trusted_proxy_added() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        let mut h = HeaderMap::new();
        assert_eq!(forwarded_for(&h, &trusted), None);
        h.append(
            "x-forwarded-for",
            "198.51.100.1, 203.0.113.7".parse().unwrap(),
        );
        h.append("x-forwarded-for", "10.0.0.2".parse().unwrap());
        // 198.51.100.1 is what the client claimed; 203.0.113.7 is who reached the first proxy.
        assert_eq!(forwarded_for(&h, &trusted), Some(ip("203.0.113.7")));
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            "203.0.113.7, not-an-address".parse().unwrap(),
        );
        assert_eq!(forwarded_for(&h, &trusted), None);
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            "10.0.0.1, ::ffff:10.0.0.2".parse().unwrap(),
        );
        assert_eq!(forwarded_for(&h, &trusted), None, "only proxies");
        assert!(is_trusted(&trusted, ip("::ffff:10.0.0.1")));
    }
}
