//! What the CKAN actions share: CKAN's errors, the caller, and the parameters of an action
//! (from a query string or a JSON object).

use crate::error::ApiError;
use app::dataservice::Asker;
use app::{AppError, Code};
use axum::http::StatusCode;
use serde_json::{Map, Value};
use store::User;

/// An action's failure, as CKAN reports it.
#[derive(Debug)]
pub enum CkanError {
    /// 400 `Bad request`.
    BadRequest(String),
    /// 403 `Authorization Error`.
    Authorization(String),
    /// 404 `Not Found Error`.
    NotFound(String),
    /// 409 `Validation Error`, with messages per field.
    Validation(Vec<(String, String)>),
    /// 400 `Search Query Error`.
    SearchQuery(String),
    /// 500 `Internal Server Error` (the cause is logged, not shown).
    Internal,
}

impl From<AppError> for CkanError {
    fn from(e: AppError) -> Self {
        use Code::*;
        match e.code {
            NotFound | DatasetNotFound | ResourceNotFound | OrgNotFound | NoData
            | TableNotFound => CkanError::NotFound(format!("Not found: {}", e.message)),
            Unauthenticated | InvalidToken | Forbidden | NoAccess | QuotaExhausted => {
                CkanError::Authorization(format!("Access denied: {}", e.message))
            }
            Internal | Unavailable => CkanError::Internal,
            // Every other kind of "no such thing" (a demand, a user, ...) too.
            code if crate::error::status(code) == StatusCode::NOT_FOUND => {
                CkanError::NotFound(format!("Not found: {}", e.message))
            }
            _ => CkanError::Validation(vec![(e.public_code().to_string(), e.message)]),
        }
    }
}

impl From<ApiError> for CkanError {
    fn from(e: ApiError) -> Self {
        e.0.into()
    }
}

pub(crate) type CkanResult<T> = Result<T, CkanError>;

/// The caller: a token in `Authorization` (bare or `Bearer`) or `X-CKAN-API-Key`.
pub(crate) struct CkanCaller {
    pub(crate) user: Option<User>,
    pub(crate) client: Option<std::net::IpAddr>,
}

impl CkanCaller {
    pub(crate) fn asker(&self) -> Asker<'_> {
        Asker {
            user: self.user.as_ref(),
            client: self.client,
            run_on: Default::default(),
        }
    }
}

/// Parameters from a query string or a JSON object.
pub(crate) struct Params(pub(crate) Map<String, Value>);

impl Params {
    pub(crate) fn text(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    pub(crate) fn required(&self, key: &str) -> CkanResult<String> {
        self.text(key)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| CkanError::Validation(vec![(key.into(), "Missing value".into())]))
    }

    pub(crate) fn int(&self, key: &str) -> CkanResult<Option<i64>> {
        let bad = || CkanError::Validation(vec![(key.into(), "Invalid integer".into())]);
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
            Some(_) => Err(bad()),
        }
    }

    pub(crate) fn flag(&self, key: &str) -> bool {
        match self.0.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.to_lowercase().as_str(), "true" | "1" | "yes"),
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        }
    }

    /// A value that may arrive as JSON text (from a query string) or as JSON.
    pub(crate) fn json(&self, key: &str) -> CkanResult<Option<Value>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => match serde_json::from_str(s) {
                Ok(v) => Ok(Some(v)),
                // A bare word is a one-element list for list-valued keys.
                Err(_) => Ok(Some(Value::String(s.clone()))),
            },
            Some(v) => Ok(Some(v.clone())),
        }
    }
}
