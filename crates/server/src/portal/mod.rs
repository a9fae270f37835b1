//! The server-rendered portal (C13). Works without JavaScript: every action is a form, every form
//! carries the session's CSRF token, and every page is in Chinese and English.

use crate::auth::{self, now_ms, Visitor, LOGIN_CSRF_COOKIE};
use crate::catalog::{self, ChangeOutcome, DatasetInput};
use crate::error::{ApiError, Code};
use crate::i18n::{Lang, Tr, LANG_COOKIE};
use crate::state::SharedState;
use crate::views::dataset_view;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use model::classification::{Domain, Grade, Importance, OpeningType};
use serde::Deserialize;
use std::collections::HashMap;
use store::{ChangeTarget, RequestStatus};

mod access;
mod log;
mod pages;
mod search;
use pages::*;

/// Every portal route.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/static/style.css", get(stylesheet))
        .route("/lang/{code}", get(set_lang))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/dataset/{name}", get(dataset_page))
        .route(
            "/dataset/{name}/upload",
            get(upload_page).post(upload_submit),
        )
        .route("/dataset/{name}/grade", post(grade_submit))
        .route("/dataset/{name}/opening-type", post(opening_submit))
        .route(
            "/publish/new",
            get(new_dataset_page).post(new_dataset_submit),
        )
        .route("/requests", get(requests_page))
        .route("/requests/{id}", post(decide_submit))
        .route("/tokens", get(tokens_page).post(tokens_submit))
        .route("/tokens/{id}/revoke", post(token_revoke))
        .merge(access::router())
        .merge(log::router())
        .merge(search::router())
}

/// Why a portal handler stopped: the visitor must sign in first, or an error to render as a page.
pub enum PageError {
    /// Redirect to the login form, which returns to this path.
    SignIn(String),
    /// An error page in the visitor's language.
    Page(Box<ErrorPage>),
}

/// An error with what its page needs.
pub struct ErrorPage {
    lang: Lang,
    page: PageCtx,
    error: ApiError,
}

impl PageError {
    fn page(v: &Visitor, error: ApiError) -> Self {
        PageError::Page(Box::new(ErrorPage {
            lang: v.lang,
            page: PageCtx::new(v, "/"),
            error,
        }))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn(path) => {
                Redirect::to(&format!("/login?next={}", urlencode(&path))).into_response()
            }
            PageError::Page(page) => page.into_response(),
        }
    }
}

impl IntoResponse for Box<ErrorPage> {
    fn into_response(self) -> Response {
        let t = Tr(self.lang);
        let heading = if self.error.code.status() == StatusCode::NOT_FOUND {
            t.not_found_title()
        } else {
            t.error_title()
        };
        let status = self.error.code.status();
        match (ErrorTpl {
            t,
            page: self.page,
            heading: heading.to_string(),
            message: crate::i18n::error_message(self.lang, &self.error),
        })
        .render()
        {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => ApiError::internal(e).into_response(),
        }
    }
}

type PageResult<T = Response> = Result<T, PageError>;

fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

trait OrPage<T> {
    fn or_page(self, v: &Visitor) -> PageResult<T>;
}

impl<T, E: Into<ApiError>> OrPage<T> for Result<T, E> {
    fn or_page(self, v: &Visitor) -> PageResult<T> {
        self.map_err(|e| PageError::page(v, e.into()))
    }
}

/// The signed-in user, or a redirect to the login form that comes back to `path`.
fn require_user(v: &Visitor, path: &str) -> PageResult<store::User> {
    v.user
        .clone()
        .ok_or_else(|| PageError::SignIn(path.to_string()))
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Only same-site relative paths are followed after login or a language switch.
fn safe_next(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and newlines from URLs, so `/\t/evil` would become `//evil`: refuse
        // any control or space character as well as `//` and backslashes.
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/style.css"),
    )
}

/// The page for an address no route matches (a JSON error under `/api/`).
pub async fn not_found(v: Visitor, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::api::not_found().into_response();
    }
    not_found_page(v).into_response()
}

fn not_found_page(v: Visitor) -> PageError {
    let message = match v.lang {
        Lang::Zh => "找不到这个页面。",
        Lang::En => "There is no page at this address.",
    };
    PageError::page(&v, ApiError::new(Code::NotFound, message))
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
    let token = auth::random_secret();
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
    if expected.is_empty() || !auth::constant_time_eq(expected.as_bytes(), f.csrf.as_bytes()) {
        let msg = match v.lang {
            Lang::Zh => "登录表单已过期，请重新输入后再提交。",
            Lang::En => "The sign-in form has expired. Enter your details and submit it again.",
        }
        .to_string();
        return login_form(&v, jar, next, f.username, msg, StatusCode::FORBIDDEN);
    }
    match auth::login(&state, f.username.trim(), &f.password, v.addr).await {
        Ok(user) => match auth::start_session(&state, &user).await {
            Ok(cookie) => (jar.add(cookie), Redirect::to(&next)).into_response(),
            Err(e) => e.into_response(),
        },
        Err(e) => {
            let status = e.code.status();
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
        state.store.delete_session(&s.id_hash).await.or_page(&v)?;
    }
    Ok((jar.add(auth::clear_session_cookie()), Redirect::to("/")).into_response())
}

#[derive(Deserialize)]
struct FlashQuery {
    msg: Option<String>,
}

fn flash_text(v: &Visitor, code: Option<&str>) -> String {
    let t = Tr(v.lang);
    match code {
        Some("saved") => t.message_saved().to_string(),
        Some("requested") => t.message_request_filed().to_string(),
        _ => String::new(),
    }
}

async fn dataset_page(
    State(state): State<SharedState>,
    v: Visitor,
    headers: axum::http::HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<FlashQuery>,
) -> PageResult {
    // `/dataset/{name}.ttl` and `.jsonld` are the dataset's DCAT-AP documents.
    if let Some(doc) = crate::interop::exports::dataset_document(&state, &headers, &name).await {
        return Ok(match doc {
            Ok(r) => r,
            Err(e) => e.into_response(),
        });
    }
    let dataset = crate::api::load_dataset(&state, &name).await.or_page(&v)?;
    let pv = access::preview(&state, &v, &dataset).await;
    let view = dataset_view(&state.store, dataset, v.user.as_ref())
        .await
        .or_page(&v)?;
    let base = state
        .config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", state.config.listen));
    let mut page = PageCtx::new(&v, &format!("/dataset/{name}"));
    page.flash = flash_text(&v, q.msg.as_deref());
    Ok(render(DatasetTpl {
        t: Tr(v.lang),
        d: DatasetDisplay::new(&view, v.lang, &base),
        pv,
        page,
        opening_types: options(OpeningType::ALL, v.lang),
        grades: Grade::ALL.iter().map(|g| g.code()).collect(),
    }))
}

#[derive(Deserialize)]
struct GradeForm {
    csrf: String,
    resource: String,
    column: String,
    grade: String,
    #[serde(default)]
    reason: String,
}

fn outcome_redirect(name: &str, outcome: &ChangeOutcome) -> Response {
    let msg = match outcome {
        ChangeOutcome::RequestFiled { .. } => "requested",
        _ => "saved",
    };
    Redirect::to(&format!("/dataset/{name}?msg={msg}")).into_response()
}

async fn grade_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
    Form(f): Form<GradeForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/dataset/{name}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let dataset = crate::api::load_dataset(&state, &name).await.or_page(&v)?;
    let grade: Grade = f
        .grade
        .parse()
        .map_err(|e| ApiError::new(Code::InvalidField, format!("{e}.")))
        .or_page(&v)?;
    let resource = crate::api::find_resource(&state, &dataset, &f.resource)
        .await
        .or_page(&v)?;
    let outcome = catalog::set_column_grade(
        state.books(),
        &user,
        &dataset,
        &resource,
        &f.column,
        grade,
        &f.reason,
        now_ms(),
    )
    .await
    .or_page(&v)?;
    Ok(outcome_redirect(&name, &outcome))
}

#[derive(Deserialize)]
struct OpeningForm {
    csrf: String,
    opening_type: String,
    #[serde(default)]
    reason: String,
}

async fn opening_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
    Form(f): Form<OpeningForm>,
) -> PageResult {
    let user = require_user(&v, &format!("/dataset/{name}"))?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let dataset = crate::api::load_dataset(&state, &name).await.or_page(&v)?;
    let to: OpeningType = f
        .opening_type
        .parse()
        .map_err(|e| ApiError::new(Code::InvalidField, format!("{e}.")))
        .or_page(&v)?;
    let outcome =
        catalog::set_opening_type(state.books(), &user, &dataset, to, &f.reason, now_ms())
            .await
            .or_page(&v)?;
    Ok(outcome_redirect(&name, &outcome))
}

async fn upload_page(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
) -> PageResult {
    let path = format!("/dataset/{name}/upload");
    let user = require_user(&v, &path)?;
    let dataset = crate::api::load_dataset(&state, &name).await.or_page(&v)?;
    catalog::require_edit(&user, &dataset).or_page(&v)?;
    upload_form(&state, &v, &dataset, String::new(), StatusCode::OK).await
}

async fn upload_form(
    state: &SharedState,
    v: &Visitor,
    dataset: &store::Dataset,
    error: String,
    status: StatusCode,
) -> PageResult {
    let resources: Vec<String> = state
        .store
        .list_resources(&dataset.id)
        .await
        .or_page(v)?
        .into_iter()
        .map(|r| r.name)
        .collect();
    let tpl = UploadTpl {
        t: Tr(v.lang),
        page: PageCtx::new(v, &format!("/dataset/{}/upload", dataset.name)),
        name: dataset.name.clone(),
        title: dataset.meta.title.clone(),
        resource: resources
            .first()
            .cloned()
            .unwrap_or_else(|| "data".to_string()),
        resources,
        error,
    };
    Ok((status, render(tpl)).into_response())
}

async fn upload_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
    mut multipart: Multipart,
) -> PageResult {
    let path = format!("/dataset/{name}/upload");
    let user = require_user(&v, &path)?;
    let dataset = crate::api::load_dataset(&state, &name).await.or_page(&v)?;
    catalog::require_edit(&user, &dataset).or_page(&v)?;
    let result = async {
        let (staged, fields) = crate::api::stage_multipart(&state, &mut multipart).await?;
        v.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or(""))?;
        let (staged, file_name) =
            staged.ok_or_else(|| ApiError::new(Code::MissingFile, "Choose a file to upload."))?;
        let resource = fields
            .get("resource")
            .cloned()
            .unwrap_or_else(|| "data".to_string());
        catalog::publish_upload(
            state.books(),
            state.data_dir(),
            &state.limits,
            &user,
            &dataset,
            &resource,
            staged.path(),
            &file_name,
            None,
            now_ms(),
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/dataset/{name}?msg=saved")).into_response()),
        Err(e) if e.code == Code::Internal || e.code == Code::CsrfFailed => Err(e).or_page(&v),
        Err(e) => {
            upload_form(
                &state,
                &v,
                &dataset,
                crate::i18n::error_message(v.lang, &e),
                e.code.status(),
            )
            .await
        }
    }
}

async fn new_dataset_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    let user = require_user(&v, "/publish/new")?;
    new_dataset_form(
        &state,
        &v,
        &user,
        NewDatasetForm::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

async fn new_dataset_form(
    state: &SharedState,
    v: &Visitor,
    user: &store::User,
    form: NewDatasetForm,
    error: String,
    status: StatusCode,
) -> PageResult {
    // Publishers publish for their own organization; the authority chooses one.
    let orgs = if user.role == model::Role::Authority {
        state
            .store
            .list_orgs()
            .await
            .or_page(v)?
            .into_iter()
            .map(|o| (o.name, o.title))
            .collect()
    } else {
        vec![]
    };
    let tpl = NewDatasetTpl {
        t: Tr(v.lang),
        page: PageCtx::new(v, "/publish/new"),
        form,
        error,
        orgs,
        domains: options(Domain::ALL, v.lang),
        opening_types: options(OpeningType::ALL, v.lang),
        importances: options(Importance::ALL, v.lang),
    };
    Ok((status, render(tpl)).into_response())
}

async fn new_dataset_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Form(f): Form<NewDatasetForm>,
) -> PageResult {
    let user = require_user(&v, "/publish/new")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let parse =
        |s: &str| -> Option<String> { (!s.trim().is_empty()).then(|| s.trim().to_string()) };
    let input = DatasetInput {
        name: Some(f.name.trim().to_string()),
        organization: parse(&f.organization),
        title: Some(f.title.clone()),
        description: Some(f.description.clone()),
        themes: Some(catalog::split_list(&f.themes)),
        tags: Some(catalog::split_list(&f.tags)),
        update_frequency: Some(f.update_frequency.clone()),
        license: Some(f.license.clone()),
        spatial: Some(f.spatial.clone()),
        temporal: Some(f.temporal.clone()),
        contact: Some(f.contact.clone()),
        domain: f.domain.parse().ok(),
        opening_type: f.opening_type.parse().ok(),
        importance: f.importance.parse().ok(),
    };
    match catalog::create_dataset(state.books(), &user, input, now_ms()).await {
        Ok(d) => Ok(Redirect::to(&format!("/dataset/{}/upload", d.name)).into_response()),
        Err(e) if e.code == Code::Internal => Err(e).or_page(&v),
        Err(e) => {
            let status = e.code.status();
            new_dataset_form(
                &state,
                &v,
                &user,
                f,
                crate::i18n::error_message(v.lang, &e),
                status,
            )
            .await
        }
    }
}

async fn requests_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    let user = require_user(&v, "/requests")?;
    let lang = v.lang.code();
    let mut rows = Vec::new();
    for r in state
        .store
        .list_change_requests(Some(RequestStatus::Pending), None)
        .await
        .or_page(&v)?
    {
        let dataset = state.store.get_dataset(&r.dataset_id).await.or_page(&v)?;
        if user.role != model::Role::Authority && !catalog::can_edit(&user, &dataset) {
            continue;
        }
        let requester = state
            .store
            .get_user(&r.requested_by)
            .await
            .map(|u| u.display_name)
            .unwrap_or_default();
        let change = match &r.change {
            ChangeTarget::ColumnGrade {
                column, from, to, ..
            } => format!("{column}: {from} → {to}"),
            ChangeTarget::OpeningType { from, to } => {
                format!("{} → {}", from.label(lang), to.label(lang))
            }
        };
        rows.push(RequestRow {
            id: r.id.clone(),
            dataset_name: dataset.name,
            dataset_title: dataset.meta.title,
            change,
            reason: r.reason.clone(),
            requested_by: requester,
            status: r.status.code().to_string(),
        });
    }
    Ok(render(RequestsTpl {
        t: Tr(v.lang),
        page: PageCtx::new(&v, "/requests"),
        rows,
        is_authority: user.role == model::Role::Authority,
    }))
}

#[derive(Deserialize)]
struct DecideForm {
    csrf: String,
    decision: String,
    #[serde(default)]
    note: String,
}

async fn decide_submit(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<DecideForm>,
) -> PageResult {
    let user = require_user(&v, "/requests")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let approve = match f.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(ApiError::new(
                Code::InvalidField,
                "Choose approve or reject.",
            ))
            .or_page(&v)
        }
    };
    catalog::decide_request(state.books(), &user, &id, approve, &f.note, now_ms())
        .await
        .or_page(&v)?;
    Ok(Redirect::to("/requests").into_response())
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
    let tokens = state
        .store
        .list_tokens(&user.id)
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
    match auth::create_token(&state, &user, &f.name, days, None).await {
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
    state
        .store
        .revoke_token(&user.id, &id, now_ms())
        .await
        .or_page(&v)?;
    Ok(Redirect::to("/tokens").into_response())
}

/// Text fields of a multipart form, by name.
pub type FormFields = HashMap<String, String>;
