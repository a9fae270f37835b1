//! Errors at the HTTP edge: the application layer's [`AppError`] with the one table from error
//! codes to HTTP statuses, and the conversions of extractor rejections into the same body.
//!
//! Every error has the body `{"error": {"code", "type", "message"}}`. A 500 never shows
//! internals: the application layer logged the cause under an id that the message gives.

use app::{AppError, Code};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// The HTTP status of each error code: the one table.
pub fn status(code: Code) -> StatusCode {
    use Code::*;
    match code {
        BadRequest | InvalidJson | UnknownField | MissingFile => StatusCode::BAD_REQUEST,
        SqlSyntax
        | SqlNotSelect
        | SqlMultipleStatements
        | ColumnNotFound
        | BadFilter
        | BadSort
        | BadAggregate
        | TypeMismatch
        | QueryFailed
        | CleanRoomRefused
        | LogRange => StatusCode::BAD_REQUEST,
        InvalidField
        | InvalidName
        | InvalidUscc
        | OpeningTypeNotAllowed
        | Ingest
        | NotAcceptingApplications
        | InvalidTerms
        | PersonalInformation
        | InvalidLocation
        | InvalidAttribute
        | InvalidPhoto
        | NoCleanRoomPolicy
        | InvalidPolicy
        | QueryTimeout
        | QueryMemory
        | TooManyRows => StatusCode::UNPROCESSABLE_ENTITY,
        PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Unauthenticated | InvalidCredentials | InvalidToken => StatusCode::UNAUTHORIZED,
        TooManyAttempts | QuotaExhausted => StatusCode::TOO_MANY_REQUESTS,
        Forbidden | CsrfFailed | NoAccess => StatusCode::FORBIDDEN,
        NotFound | DatasetNotFound | ResourceNotFound | OrgNotFound | UserNotFound
        | RequestNotFound | TokenNotFound | ApplicationNotFound | GrantNotFound | NoData
        | ResultNotFound | TableNotFound | LogEntryNotFound | DemandNotFound
        | ConsultationNotFound | CommentNotFound | FeedbackNotFound | ServiceNotFound
        | RewardNotFound | RedemptionNotFound | ActivityNotFound | CleanRoomNotFound => {
            StatusCode::NOT_FOUND
        }
        AgreementMismatch
        | NameTaken
        | AlreadyDecided
        | StaleRequest
        | AlreadySupported
        | DemandClosed
        | ConsultationNotOpen
        | ConsultationNotClosed
        | UnansweredComments
        | FeedbackNotClosed
        | AlreadyRated
        | ReopenNotAllowed
        | NotEnoughPoints
        | OutOfStock
        | RewardUnavailable
        | RedemptionLimit
        | AlreadyCancelled
        | ActivityClosed
        | NoAttemptsLeft
        | CleanRoomNotReady
        | BudgetExhausted => StatusCode::CONFLICT,
        Internal => StatusCode::INTERNAL_SERVER_ERROR,
        Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// An error as the API reports it.
#[derive(Debug)]
pub struct ApiError(pub AppError);

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with this code and message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError(AppError::new(code, message))
    }

    /// A 500 that logs `cause` under a fresh id and tells the caller only the id.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError(AppError::internal(cause))
    }

    /// The answer for a path under `/api/` that no route matches.
    pub fn no_such_endpoint() -> Self {
        ApiError::new(
            Code::NotFound,
            "There is no such API endpoint. See the API documentation for the available ones.",
        )
    }

    /// The code.
    pub fn code(&self) -> Code {
        self.0.code
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        status(self.0.code)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let body = Body {
            error: BodyInner {
                code: e.public_code(),
                kind: e.code.kind(),
                message: &e.message,
            },
        };
        let mut response = (status(e.code), Json(body)).into_response();
        if let Some(secs) = e.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
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

    /// The statuses of every code: those of the table before it moved to the edge, so that no
    /// client sees a change, and those added since.
    #[test]
    fn statuses_are_the_published_ones() {
        let expected: &[(&str, u16)] = &[
            ("bad_request", 400),
            ("invalid_json", 400),
            ("unknown_field", 400),
            ("invalid_field", 422),
            ("invalid_name", 422),
            ("invalid_uscc", 422),
            ("opening_type_not_allowed", 422),
            ("missing_file", 400),
            ("file_too_large", 413),
            ("ingest_failed", 422),
            ("unauthenticated", 401),
            ("invalid_credentials", 401),
            ("invalid_token", 401),
            ("too_many_attempts", 429),
            ("forbidden", 403),
            ("csrf_failed", 403),
            ("not_found", 404),
            ("dataset_not_found", 404),
            ("resource_not_found", 404),
            ("organization_not_found", 404),
            ("user_not_found", 404),
            ("request_not_found", 404),
            ("token_not_found", 404),
            ("application_not_found", 404),
            ("grant_not_found", 404),
            ("result_not_found", 404),
            ("no_data", 404),
            ("no_access", 403),
            ("quota_exhausted", 429),
            ("not_accepting_applications", 422),
            ("invalid_terms", 422),
            ("agreement_mismatch", 409),
            ("sql_syntax", 400),
            ("sql_not_select", 400),
            ("sql_multiple_statements", 400),
            ("table_not_found", 404),
            ("column_not_found", 400),
            ("bad_filter", 400),
            ("bad_sort", 400),
            ("bad_aggregate", 400),
            ("type_mismatch", 400),
            ("query_failed", 400),
            ("query_timeout", 422),
            ("query_memory", 422),
            ("too_many_rows", 422),
            ("name_taken", 409),
            ("already_decided", 409),
            ("stale_request", 409),
            ("log_range", 400),
            ("log_entry_not_found", 404),
            ("personal_information", 422),
            ("demand_not_found", 404),
            ("already_supported", 409),
            ("demand_closed", 409),
            ("consultation_not_found", 404),
            ("comment_not_found", 404),
            ("consultation_not_open", 409),
            ("consultation_not_closed", 409),
            ("unanswered_comments", 409),
            ("feedback_not_found", 404),
            ("service_not_found", 404),
            ("invalid_location", 422),
            ("invalid_attribute", 422),
            ("invalid_photo", 422),
            ("feedback_not_closed", 409),
            ("already_rated", 409),
            ("reopen_not_allowed", 409),
            ("reward_not_found", 404),
            ("redemption_not_found", 404),
            ("not_enough_points", 409),
            ("out_of_stock", 409),
            ("reward_unavailable", 409),
            ("redemption_limit", 409),
            ("already_cancelled", 409),
            ("activity_not_found", 404),
            ("activity_closed", 409),
            ("no_attempts_left", 409),
            ("cleanroom_refused", 400),
            ("cleanroom_not_found", 404),
            ("cleanroom_not_ready", 409),
            ("budget_exhausted", 409),
            ("no_cleanroom_policy", 422),
            ("invalid_policy", 422),
            ("internal", 500),
            ("unavailable", 503),
        ];
        assert_eq!(expected.len(), Code::ALL.len());
        for (code, (name, status_code)) in Code::ALL.iter().zip(expected) {
            assert_eq!(code.name(), *name);
            assert_eq!(status(*code).as_u16(), *status_code, "{name}");
        }
    }

    #[test]
    fn only_internal_errors_are_server_errors() {
        for code in Code::ALL {
            assert_eq!(
                status(*code).is_server_error(),
                !code.is_caller_error(),
                "{}",
                code.name()
            );
        }
    }

    #[test]
    fn internal_errors_hide_the_cause() {
        let e = ApiError::internal("password=hunter2 at /secret/path");
        assert!(!e.0.message.contains("hunter2"));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
