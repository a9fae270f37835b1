//! What every portal handler shares: error pages, rendering, signing in first, safe redirects.

use super::pages::{ErrorTpl, PageCtx};
use crate::error::ApiError;
use crate::extract::Visitor;
use crate::i18n::{Lang, Tr};
use app::Code;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

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
    /// An error page in the visitor's language.
    pub fn page(v: &Visitor, error: ApiError) -> Self {
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
        let heading = if self.error.status() == StatusCode::NOT_FOUND {
            t.not_found_title()
        } else {
            t.error_title()
        };
        let status = self.error.status();
        match (ErrorTpl {
            t,
            page: self.page,
            heading: heading.to_string(),
            message: crate::i18n::error_message(self.lang, &self.error.0),
        })
        .render()
        {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => ApiError::internal(e).into_response(),
        }
    }
}

/// What a portal handler returns.
pub type PageResult<T = Response> = Result<T, PageError>;

/// Renders a template as an HTML response.
pub fn render(t: impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// Turns an error into an error page.
pub trait OrPage<T> {
    /// The error as a page in the visitor's language.
    fn or_page(self, v: &Visitor) -> PageResult<T>;
}

impl<T, E: Into<ApiError>> OrPage<T> for Result<T, E> {
    fn or_page(self, v: &Visitor) -> PageResult<T> {
        self.map_err(|e| PageError::page(v, e.into()))
    }
}

/// The signed-in user, or a redirect to the login form that comes back to `path`.
pub fn require_user(v: &Visitor, path: &str) -> PageResult<store::User> {
    v.user
        .clone()
        .ok_or_else(|| PageError::SignIn(path.to_string()))
}

/// Percent-encodes a path for a query parameter.
pub fn urlencode(s: &str) -> String {
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
pub fn safe_next(next: Option<&str>) -> String {
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

/// The page for an address no route matches (a JSON error under `/api/`).
pub async fn not_found(v: Visitor, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return ApiError::no_such_endpoint().into_response();
    }
    not_found_page(v).into_response()
}

/// The page for something that does not exist.
pub fn not_found_page(v: Visitor) -> PageError {
    let message = match v.lang {
        Lang::Zh => "找不到这个页面。",
        Lang::En => "There is no page at this address.",
    };
    PageError::page(&v, ApiError::new(Code::NotFound, message))
}

/// The answer to a form whose use case failed: for an error the visitor can fix, the page
/// `form` renders with the message, under the error's status; any other error is the error
/// page.
pub async fn again<F, Fut>(v: &Visitor, e: app::AppError, form: F) -> PageResult
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = PageResult>,
{
    if !e.code.is_caller_error() {
        return Err(PageError::page(v, ApiError(e)));
    }
    let message = crate::i18n::error_message(v.lang, &e);
    let page = form(message).await?;
    Ok((crate::error::status(e.code), page).into_response())
}

/// A url-encoded form with repeated keys (checkbox groups), which `axum::Form` cannot express.
pub struct FormPairs(Vec<(String, String)>);

impl FormPairs {
    /// Parses a url-encoded body.
    pub fn parse(body: &axum::body::Bytes) -> Self {
        FormPairs(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// Parses a form and checks its CSRF token.
    pub fn checked(v: &Visitor, body: &axum::body::Bytes) -> PageResult<Self> {
        let f = FormPairs::parse(body);
        v.check_csrf(f.get("csrf")).or_page(v)?;
        Ok(f)
    }

    /// The first value of `key`, or empty.
    pub fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A whole number, or `None` when the field is empty.
    pub fn optional_int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        let v = self.get(key).trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<i64>().map(Some).map_err(|_| {
            ApiError::new(
                Code::InvalidTerms,
                format!("`{key}` must be a whole number."),
            )
        })
    }
}
