//! One error type for every use case: a stable code from one table, a type, and a whole-sentence
//! message that says what to do next.
//!
//! The table here has no HTTP status: the server maps codes to statuses in its own single table,
//! and the command line prints the message with the code. An internal error never carries its
//! cause to the caller: the cause is logged under an id that the message gives instead.

macro_rules! error_codes {
    ($($variant:ident => $code:literal, $kind:literal;)+) => {
        /// Stable error codes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $(#[doc = concat!("`", $code, "`, of type `", $kind, "`.")] $variant,)+ }

        impl Code {
            /// The stable snake_case name.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $code,)+ }
            }

            /// The error type: `invalid_request`, `auth`, `not_found`, `conflict` or `internal`.
            pub fn kind(self) -> &'static str {
                match self { $(Code::$variant => $kind,)+ }
            }

            /// Every code, for documentation and tests.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];
        }
    };
}

error_codes! {
    BadRequest => "bad_request", "invalid_request";
    InvalidJson => "invalid_json", "invalid_request";
    UnknownField => "unknown_field", "invalid_request";
    InvalidField => "invalid_field", "invalid_request";
    InvalidName => "invalid_name", "invalid_request";
    InvalidUscc => "invalid_uscc", "invalid_request";
    OpeningTypeNotAllowed => "opening_type_not_allowed", "invalid_request";
    MissingFile => "missing_file", "invalid_request";
    PayloadTooLarge => "file_too_large", "invalid_request";
    Ingest => "ingest_failed", "invalid_request";
    Unauthenticated => "unauthenticated", "auth";
    InvalidCredentials => "invalid_credentials", "auth";
    InvalidToken => "invalid_token", "auth";
    TooManyAttempts => "too_many_attempts", "auth";
    Forbidden => "forbidden", "auth";
    CsrfFailed => "csrf_failed", "auth";
    NotFound => "not_found", "not_found";
    DatasetNotFound => "dataset_not_found", "not_found";
    ResourceNotFound => "resource_not_found", "not_found";
    OrgNotFound => "organization_not_found", "not_found";
    UserNotFound => "user_not_found", "not_found";
    RequestNotFound => "request_not_found", "not_found";
    TokenNotFound => "token_not_found", "not_found";
    ApplicationNotFound => "application_not_found", "not_found";
    GrantNotFound => "grant_not_found", "not_found";
    ResultNotFound => "result_not_found", "not_found";
    NoData => "no_data", "not_found";
    NoAccess => "no_access", "auth";
    QuotaExhausted => "quota_exhausted", "auth";
    NotAcceptingApplications => "not_accepting_applications", "invalid_request";
    InvalidTerms => "invalid_terms", "invalid_request";
    AgreementMismatch => "agreement_mismatch", "conflict";
    SqlSyntax => "sql_syntax", "invalid_request";
    SqlNotSelect => "sql_not_select", "invalid_request";
    SqlMultipleStatements => "sql_multiple_statements", "invalid_request";
    TableNotFound => "table_not_found", "not_found";
    ColumnNotFound => "column_not_found", "invalid_request";
    BadFilter => "bad_filter", "invalid_request";
    BadSort => "bad_sort", "invalid_request";
    BadAggregate => "bad_aggregate", "invalid_request";
    TypeMismatch => "type_mismatch", "invalid_request";
    QueryFailed => "query_failed", "invalid_request";
    QueryTimeout => "query_timeout", "invalid_request";
    QueryMemory => "query_memory", "invalid_request";
    TooManyRows => "too_many_rows", "invalid_request";
    NameTaken => "name_taken", "conflict";
    AlreadyDecided => "already_decided", "conflict";
    StaleRequest => "stale_request", "conflict";
    LogRange => "log_range", "invalid_request";
    LogEntryNotFound => "log_entry_not_found", "not_found";
    PersonalInformation => "personal_information", "invalid_request";
    DemandNotFound => "demand_not_found", "not_found";
    AlreadySupported => "already_supported", "conflict";
    DemandClosed => "demand_closed", "conflict";
    ConsultationNotFound => "consultation_not_found", "not_found";
    CommentNotFound => "comment_not_found", "not_found";
    ConsultationNotOpen => "consultation_not_open", "conflict";
    ConsultationNotClosed => "consultation_not_closed", "conflict";
    UnansweredComments => "unanswered_comments", "conflict";
    FeedbackNotFound => "feedback_not_found", "not_found";
    ServiceNotFound => "service_not_found", "not_found";
    InvalidLocation => "invalid_location", "invalid_request";
    InvalidAttribute => "invalid_attribute", "invalid_request";
    InvalidPhoto => "invalid_photo", "invalid_request";
    FeedbackNotClosed => "feedback_not_closed", "conflict";
    AlreadyRated => "already_rated", "conflict";
    ReopenNotAllowed => "reopen_not_allowed", "conflict";
    RewardNotFound => "reward_not_found", "not_found";
    RedemptionNotFound => "redemption_not_found", "not_found";
    NotEnoughPoints => "not_enough_points", "conflict";
    OutOfStock => "out_of_stock", "conflict";
    RewardUnavailable => "reward_unavailable", "conflict";
    RedemptionLimit => "redemption_limit", "conflict";
    AlreadyCancelled => "already_cancelled", "conflict";
    ActivityNotFound => "activity_not_found", "not_found";
    ActivityClosed => "activity_closed", "conflict";
    NoAttemptsLeft => "no_attempts_left", "conflict";
    CleanRoomRefused => "cleanroom_refused", "invalid_request";
    CleanRoomNotFound => "cleanroom_not_found", "not_found";
    CleanRoomNotReady => "cleanroom_not_ready", "conflict";
    BudgetExhausted => "budget_exhausted", "conflict";
    NoCleanRoomPolicy => "no_cleanroom_policy", "invalid_request";
    InvalidPolicy => "invalid_policy", "invalid_request";
    Internal => "internal", "internal";
    Unavailable => "unavailable", "internal";
}

impl Code {
    /// Whether the caller can do something about it (every type but `internal`).
    pub fn is_caller_error(self) -> bool {
        self.kind() != "internal"
    }
}

/// An error of a use case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    /// Stable code.
    pub code: Code,
    /// Whole-sentence message for the caller.
    pub message: String,
    /// More specific code from a lower layer (e.g. the ingest error `ragged_rows`).
    pub detail_code: Option<&'static str>,
    /// Seconds to wait before trying again (too many sign-in attempts).
    pub retry_after: Option<u64>,
}

/// Result of a use case.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// An error with this code and message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            detail_code: None,
            retry_after: None,
        }
    }

    /// An internal error that logs `cause` under a fresh id and tells the caller only the id.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let id = uuid::Uuid::new_v4();
        tracing::error!(error_id = %id, "internal error: {cause}");
        AppError::new(
            Code::Internal,
            format!("The server could not complete the request. Please try again later; if it persists, report error id {id} to the administrator."),
        )
    }

    /// The code callers see: the detail code when there is one.
    pub fn public_code(&self) -> &'static str {
        self.detail_code.unwrap_or(self.code.name())
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.public_code())
    }
}

impl std::error::Error for AppError {}

/// Reading one record, where "there is none" is an answer rather than a failure.
pub(crate) trait Found<T> {
    /// The record, or `None` when the store has no such record.
    fn found(self) -> AppResult<Option<T>>;
    /// The record, or the error `missing` makes when the store has no such record.
    fn or_missing(self, missing: impl FnOnce() -> AppError) -> AppResult<T>;
}

impl<T> Found<T> for store::Result<T> {
    fn found(self) -> AppResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(store::StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn or_missing(self, missing: impl FnOnce() -> AppError) -> AppResult<T> {
        self.found()?.ok_or_else(missing)
    }
}

impl From<store::StoreError> for AppError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::NotFound => {
                AppError::new(Code::NotFound, "The requested record does not exist.")
            }
            store::StoreError::Conflict(field) => AppError::new(
                Code::NameTaken,
                format!("The {field} is already in use. Choose another one."),
            ),
            other => AppError::internal(other),
        }
    }
}

impl From<ingest::IngestError> for AppError {
    fn from(e: ingest::IngestError) -> Self {
        if e.is_user_error() {
            let code = if e.code() == "file_too_large" {
                Code::PayloadTooLarge
            } else {
                Code::Ingest
            };
            AppError {
                code,
                message: e.to_string(),
                detail_code: Some(e.code()),
                retry_after: None,
            }
        } else {
            AppError::internal(e)
        }
    }
}

impl From<query::QueryError> for AppError {
    /// Messages from the engine are already free of hidden column names; internal causes are
    /// logged, not shown.
    fn from(e: query::QueryError) -> Self {
        let code = match e.code() {
            "sql_syntax" => Code::SqlSyntax,
            "sql_not_select" => Code::SqlNotSelect,
            "sql_multiple_statements" => Code::SqlMultipleStatements,
            "table_not_found" => Code::TableNotFound,
            "column_not_found" => Code::ColumnNotFound,
            "bad_filter" => Code::BadFilter,
            "bad_sort" => Code::BadSort,
            "bad_aggregate" => Code::BadAggregate,
            "type_mismatch" => Code::TypeMismatch,
            "query_timeout" => Code::QueryTimeout,
            "query_memory" => Code::QueryMemory,
            "too_many_rows" => Code::TooManyRows,
            "query_failed" => Code::QueryFailed,
            "cleanroom_refused" => Code::CleanRoomRefused,
            _ => return AppError::internal(format!("{e:?}")),
        };
        if !e.is_user_error() {
            return AppError::internal(format!("{e:?}"));
        }
        AppError::new(code, e.to_string())
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
        let e = AppError::internal("password=hunter2 at /secret/path");
        assert!(!e.message.contains("hunter2"));
        assert!(!e.message.contains("/secret"));
        assert_eq!(e.code, Code::Internal);
        assert!(!e.code.is_caller_error());
    }

    #[test]
    fn ingest_codes_pass_through() {
        let e = AppError::from(ingest::IngestError::EmptyFile);
        assert_eq!(e.code, Code::Ingest);
        assert_eq!(e.public_code(), ingest::IngestError::EmptyFile.code());
    }
}
