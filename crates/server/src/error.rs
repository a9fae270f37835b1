//! One table of error codes for the whole HTTP surface.
//!
//! Each code has a stable name, an error type and an HTTP status; messages are whole sentences
//! that say what to do next. A 500 never shows internals: the cause is logged with an id that the
//! response carries instead.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

macro_rules! error_codes {
    ($($variant:ident => $code:literal, $kind:literal, $status:ident;)+) => {
        /// Stable error codes of the API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code { $($variant,)+ }

        impl Code {
            /// The stable snake_case name.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $code,)+ }
            }

            /// The error type: `invalid_request`, `auth`, `not_found`, `conflict` or `internal`.
            pub fn kind(self) -> &'static str {
                match self { $(Code::$variant => $kind,)+ }
            }

            /// The HTTP status.
            pub fn status(self) -> StatusCode {
                match self { $(Code::$variant => StatusCode::$status,)+ }
            }

            /// Every code, for documentation and tests.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];
        }
    };
}

error_codes! {
    BadRequest => "bad_request", "invalid_request", BAD_REQUEST;
    InvalidJson => "invalid_json", "invalid_request", BAD_REQUEST;
    UnknownField => "unknown_field", "invalid_request", BAD_REQUEST;
    InvalidField => "invalid_field", "invalid_request", UNPROCESSABLE_ENTITY;
    InvalidName => "invalid_name", "invalid_request", UNPROCESSABLE_ENTITY;
    InvalidUscc => "invalid_uscc", "invalid_request", UNPROCESSABLE_ENTITY;
    OpeningTypeNotAllowed => "opening_type_not_allowed", "invalid_request", UNPROCESSABLE_ENTITY;
    MissingFile => "missing_file", "invalid_request", BAD_REQUEST;
    PayloadTooLarge => "file_too_large", "invalid_request", PAYLOAD_TOO_LARGE;
    Ingest => "ingest_failed", "invalid_request", UNPROCESSABLE_ENTITY;
    Unauthenticated => "unauthenticated", "auth", UNAUTHORIZED;
    InvalidCredentials => "invalid_credentials", "auth", UNAUTHORIZED;
    InvalidToken => "invalid_token", "auth", UNAUTHORIZED;
    TooManyAttempts => "too_many_attempts", "auth", TOO_MANY_REQUESTS;
    Forbidden => "forbidden", "auth", FORBIDDEN;
    CsrfFailed => "csrf_failed", "auth", FORBIDDEN;
    NotFound => "not_found", "not_found", NOT_FOUND;
    DatasetNotFound => "dataset_not_found", "not_found", NOT_FOUND;
    ResourceNotFound => "resource_not_found", "not_found", NOT_FOUND;
    OrgNotFound => "organization_not_found", "not_found", NOT_FOUND;
    UserNotFound => "user_not_found", "not_found", NOT_FOUND;
    RequestNotFound => "request_not_found", "not_found", NOT_FOUND;
    TokenNotFound => "token_not_found", "not_found", NOT_FOUND;
    ApplicationNotFound => "application_not_found", "not_found", NOT_FOUND;
    GrantNotFound => "grant_not_found", "not_found", NOT_FOUND;
    NoData => "no_data", "not_found", NOT_FOUND;
    NoAccess => "no_access", "auth", FORBIDDEN;
    QuotaExhausted => "quota_exhausted", "auth", TOO_MANY_REQUESTS;
    NotAcceptingApplications => "not_accepting_applications", "invalid_request", UNPROCESSABLE_ENTITY;
    InvalidTerms => "invalid_terms", "invalid_request", UNPROCESSABLE_ENTITY;
    AgreementMismatch => "agreement_mismatch", "conflict", CONFLICT;
    SqlSyntax => "sql_syntax", "invalid_request", BAD_REQUEST;
    SqlNotSelect => "sql_not_select", "invalid_request", BAD_REQUEST;
    SqlMultipleStatements => "sql_multiple_statements", "invalid_request", BAD_REQUEST;
    TableNotFound => "table_not_found", "not_found", NOT_FOUND;
    ColumnNotFound => "column_not_found", "invalid_request", BAD_REQUEST;
    BadFilter => "bad_filter", "invalid_request", BAD_REQUEST;
    BadSort => "bad_sort", "invalid_request", BAD_REQUEST;
    BadAggregate => "bad_aggregate", "invalid_request", BAD_REQUEST;
    TypeMismatch => "type_mismatch", "invalid_request", BAD_REQUEST;
    QueryFailed => "query_failed", "invalid_request", BAD_REQUEST;
    QueryTimeout => "query_timeout", "invalid_request", UNPROCESSABLE_ENTITY;
    QueryMemory => "query_memory", "invalid_request", UNPROCESSABLE_ENTITY;
    TooManyRows => "too_many_rows", "invalid_request", UNPROCESSABLE_ENTITY;
    NameTaken => "name_taken", "conflict", CONFLICT;
    AlreadyDecided => "already_decided", "conflict", CONFLICT;
    StaleRequest => "stale_request", "conflict", CONFLICT;
    LogRange => "log_range", "invalid_request", BAD_REQUEST;
    LogEntryNotFound => "log_entry_not_found", "not_found", NOT_FOUND;
    Internal => "internal", "internal", INTERNAL_SERVER_ERROR;
    Unavailable => "unavailable", "internal", SERVICE_UNAVAILABLE;
}

/// An error as the API reports it.
#[derive(Debug)]
pub struct ApiError {
    /// Stable code.
    pub code: Code,
    /// Whole-sentence message for the caller.
    pub message: String,
    /// More specific code from a lower layer (e.g. the ingest error `ragged_rows`).
    pub detail_code: Option<&'static str>,
    /// Seconds to wait, for 429.
    pub retry_after: Option<u64>,
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Serialize)]
struct Body<'a> {
    error: BodyInner<'a>,
}

#[derive(Serialize)]
struct BodyInner<'a> {
    code: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    message: &'a str,
}

impl ApiError {
    /// An error with this code and message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            detail_code: None,
            retry_after: None,
        }
    }

    /// A 500 that logs `cause` under a fresh id and tells the caller only the id.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let id = uuid::Uuid::new_v4();
        tracing::error!(error_id = %id, "internal error: {cause}");
        ApiError::new(
            Code::Internal,
            format!("The server could not complete the request. Please try again later; if it persists, report error id {id} to the administrator."),
        )
    }

    /// The code callers see: the detail code when there is one.
    pub fn public_code(&self) -> &'static str {
        self.detail_code.unwrap_or(self.code.name())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: BodyInner {
                code: self.public_code(),
                kind: self.code.kind(),
                message: &self.message,
            },
        };
        let mut response = (self.code.status(), Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::NotFound => {
                ApiError::new(Code::NotFound, "The requested record does not exist.")
            }
            store::StoreError::Conflict(field) => ApiError::new(
                Code::NameTaken,
                format!("The {field} is already in use. Choose another one."),
            ),
            other => ApiError::internal(other),
        }
    }
}

impl From<ingest::IngestError> for ApiError {
    fn from(e: ingest::IngestError) -> Self {
        if e.is_user_error() {
            let code = if e.code() == "file_too_large" {
                Code::PayloadTooLarge
            } else {
                Code::Ingest
            };
            ApiError {
                code,
                message: e.to_string(),
                detail_code: Some(e.code()),
                retry_after: None,
            }
        } else {
            ApiError::internal(e)
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection::*;
        let text = rejection.body_text();
        match rejection {
            JsonDataError(_) if text.contains("unknown field") => ApiError::new(
                Code::UnknownField,
                format!("The request body has a field this endpoint does not accept: {text}. Remove it and try again."),
            ),
            JsonDataError(_) => ApiError::new(
                Code::InvalidField,
                format!("The request body does not have the expected shape: {text}."),
            ),
            MissingJsonContentType(_) => ApiError::new(
                Code::BadRequest,
                "Send the body as JSON with the header `Content-Type: application/json`.",
            ),
            _ => ApiError::new(
                Code::InvalidJson,
                format!("The request body is not valid JSON: {text}. Check the syntax and try again."),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_snake_case() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.name()), "duplicate {}", code.name());
            assert!(code
                .name()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
    }

    #[test]
    fn internal_errors_hide_the_cause() {
        let e = ApiError::internal("password=hunter2 at /secret/path");
        assert!(!e.message.contains("hunter2"));
        assert_eq!(e.code.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
