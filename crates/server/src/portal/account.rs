//! Signing in and out, the language switch, and the visitor's API tokens.

use super::page::{render, require_user, safe_next, OrPage, PageResult};
use super::pages::{fmt_time, LoginTpl, PageCtx, TokenRow, TokensTpl};
use crate::error::ApiError;
use crate::extract::{clear_session_cookie, session_cookie, Visitor, LOGIN_CSRF_COOKIE};
use crate::i18n::{Lang, Tr, LANG_COOKIE};
use crate::state::SharedState;
use app::Code;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

/// The account routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/lang/{code}", get(set_lang))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/tokens", get(tokens_page).post(tokens_submit))
        .route("/tokens/{id}/revoke", post(token_revoke))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn set_lang(
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
    jar: CookieJar,
) -> Response {
    let lang = Lang::from_code(&code).unwrap_or(Lang::Zh);
    let cookie = Cookie::build((LANG_COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(365))
        .build();
    (jar.add(cookie), Redirect::to(&safe_next(q.next.as_deref()))).into_response()
}

async fn login_page(v: Visitor, jar: CookieJar, Query(q): Query<NextQuery>) -> Response {
    login_form(
        &v,
        jar,
        safe_next(q.next.as_deref()),
        String::new(),
        String::new(),
        StatusCode::OK,
    )
}

fn login_form(
    v: &Visitor,
    jar: CookieJar,
    next: String,
    username: String,
    error: String,
    status: StatusCode,
) -> Response {
    // Double-submit token: the login form has no session yet to bind a CSRF token to.
    let token = app::auth::random_secret();
    let cookie = Cookie::build((LOGIN_CSRF_COOKIE, token.clone()))
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .build();
    let page = LoginTpl {
        t: Tr(v.lang),
        page: PageCtx::new(v, "/login"),
        login_csrf: token,
        next,
        username,
        error,
    };
    (status, jar.add(cookie), render(page)).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<SharedState>,
    v: Visitor,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    let expected = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if expected.is_empty() || !app::auth::constant_time_eq(expected.as_bytes(), f.csrf.as_bytes()) {
        let msg = match v.lang {
            Lang::Zh => "登录表单已过期，请重新输入后再提交。",
            Lang::En => "The sign-in form has expired. Enter your details and submit it again.",
        }
        .to_string();
        return login_form(&v, jar, next, f.username, msg, StatusCode::FORBIDDEN);
    }
    let client = v.addr.map(|a| a.ip());
    match app::auth::login(&state, f.username.trim(), &f.password, client).await {
        Ok(user) => match app::auth::start_session(&state, &user).await {
            Ok(session) => (
                jar.add(session_cookie(&state, session)),
                Redirect::to(&next),
            )
                .into_response(),
            Err(e) => ApiError::from(e).into_response(),
        },
        Err(e) => {
            let status = crate::error::status(e.code);
            let msg = match (e.code, v.lang) {
                (Code::InvalidCredentials, Lang::Zh) => "用户名或密码错误。".to_string(),
                (Code::TooManyAttempts, Lang::Zh) => "失败次数过多，请稍后再试。".to_string(),
                _ => e.message,
            };
            let mut response = login_form(&v, jar, next, f.username, msg, status);
            if let Some(secs) = e.retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, secs.into());
            }
            response
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<SharedState>,
    v: Visitor,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    v.check_csrf(&f.csrf).or_page(&v)?;
    if let Some(s) = &v.session {
        app::auth::end_session(&state, s).await.or_page(&v)?;
    }
    Ok((jar.add(clear_session_cookie()), Redirect::to("/")).into_response())
}

async fn tokens_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    let user = require_user(&v, "/tokens")?;
    tokens_view(&state, &v, &user, String::new(), String::new()).await
}

async fn tokens_view(
    state: &SharedState,
    v: &Visitor,
    user: &store::User,
    new_secret: String,
    error: String,
) -> PageResult {
    let t = Tr(v.lang);
    let tokens = app::auth::list_tokens(state, user)
        .await
        .or_page(v)?
        .into_iter()
        .map(|tk| TokenRow {
            id: tk.id,
            name: tk.name,
            created: fmt_time(tk.created_at),
            expires: tk
                .expires_at
                .map(fmt_time)
                .unwrap_or_else(|| t.never().to_string()),
            revoked: tk.revoked_at.is_some(),
        })
        .collect();
    Ok(render(TokensTpl {
        t,
        page: PageCtx::new(v, "/tokens"),
        tokens,
        new_secret,
        error,
    }))
}

#[derive(Deserialize)]
struct TokenForm {
    csrf: String,
    name: String,
    days: Option<String>,
}

async fn tokens_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Form(f): Form<TokenForm>,
) -> PageResult {
    let user = require_user(&v, "/tokens")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let days = match f.days.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(d) => match d.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                let msg = match v.lang {
                    Lang::Zh => "有效天数须为 1 到 366 之间的整数。",
                    Lang::En => "Valid for days must be a whole number from 1 to 366.",
                };
                return tokens_view(&state, &v, &user, String::new(), msg.to_string()).await;
            }
        },
    };
    match app::auth::create_token(&state, &user, &f.name, days, None).await {
        Ok((_, secret)) => tokens_view(&state, &v, &user, secret, String::new()).await,
        Err(e) if e.code == Code::Internal => Err(e).or_page(&v),
        Err(e) => {
            tokens_view(
                &state,
                &v,
                &user,
                String::new(),
                crate::i18n::error_message(v.lang, &e),
            )
            .await
        }
    }
}

async fn token_revoke(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    let user = require_user(&v, "/tokens")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    app::auth::revoke_token(&state, &user, &id)
        .await
        .or_page(&v)?;
    Ok(Redirect::to("/tokens").into_response())
}
