//! The ingest error table: one variant per thing that can go wrong, each with a stable code.
//!
//! Messages are whole sentences addressed to the person who uploaded the file and say what to do
//! next, because the server shows them as they are. Only [`IngestError::Io`] and
//! [`IngestError::Internal`] are the platform's fault; everything else is a problem with the input.

use crate::SourceFormat;

/// Why an upload could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The user's file name could be used to escape the upload directory or is otherwise unusable.
    #[error("The file name is not acceptable ({reason}). Rename the file to a plain name such as data.csv and upload it again.")]
    InvalidFileName {
        /// What is wrong with the name.
        reason: &'static str,
    },

    /// The extension names no format we read.
    #[error("Files ending in `{extension}` cannot be ingested. Upload CSV, TSV, XLSX, XLS, JSON, NDJSON or Parquet instead.")]
    UnsupportedFormat {
        /// The extension as given (possibly empty).
        extension: String,
    },

    /// The file is larger than the configured upload limit.
    #[error("The file is {size} bytes, more than the limit of {limit} bytes. Split it into smaller files or ask the administrator to raise the limit.")]
    FileTooLarge {
        /// Size of the upload in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },

    /// The file has no content at all (or only whitespace and a byte-order mark).
    #[error("The file is empty. Upload a file with a header row and at least one row of data.")]
    EmptyFile,

    /// The file has a header (or an empty array) but no data rows.
    #[error("The file contains no rows of data, only a header or empty rows. Add at least one row of data and upload it again.")]
    NoRows,

    /// The bytes are not what the extension says (a PNG named `.csv`, a `.xlsx` that is not a zip).
    #[error("The file does not look like {} content: {detail}. Check that you picked the right file and that its extension matches its content.", expected.label())]
    ContentMismatch {
        /// The format the extension promised.
        expected: SourceFormat,
        /// What was found instead.
        detail: String,
    },

    /// The text is neither UTF-8 nor confidently GBK/GB18030.
    #[error("The text encoding of the file could not be recognised ({detail}). Save the file as UTF-8 (or GBK) and upload it again.")]
    UndetectableEncoding {
        /// What was observed.
        detail: String,
    },

    /// A row has a different number of fields from the header.
    #[error("Line {line} has {found} fields but the header has {expected}. Make every row have as many fields as the header (quote fields that contain the delimiter or a line break) and upload it again.")]
    RaggedRows {
        /// 1-based line (or spreadsheet row) number.
        line: u64,
        /// Fields found on that line.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },

    /// Two columns have the same name (compared case-insensitively, as SQL does).
    #[error("The column name `{name}` appears more than once (names are compared ignoring case). Give every column a different name and upload it again.")]
    DuplicateColumn {
        /// The repeated name.
        name: String,
    },

    /// A header cell is empty.
    #[error("Column {position} has no name. Fill in every header cell (or delete empty trailing columns) and upload it again.")]
    EmptyColumnName {
        /// 1-based column position.
        position: usize,
    },

    /// More columns than the configured limit.
    #[error("The file has more than {limit} columns. Split it into several narrower tables or ask the administrator to raise the limit.")]
    TooManyColumns {
        /// The limit.
        limit: usize,
    },

    /// A single physical line is longer than any sane table row; usually a binary or mis-delimited file.
    #[error("Line {line} is longer than {limit} bytes. Check that the file is really delimited text with line breaks between rows.")]
    RecordTooLarge {
        /// 1-based line number.
        line: u64,
        /// The limit in bytes.
        limit: u64,
    },

    /// A workbook whose compressed parts expand to far more than they should.
    #[error("The workbook expands to too much data ({detail}). Save it again from a spreadsheet program, or export the sheet as CSV and upload that.")]
    ZipBomb {
        /// Which limit was exceeded.
        detail: String,
    },

    /// A spreadsheet that opened but could not be read.
    #[error("The spreadsheet could not be read ({detail}). Open it in a spreadsheet program, save it again, or export the first sheet as CSV and upload that.")]
    CorruptSpreadsheet {
        /// The reader's complaint.
        detail: String,
    },

    /// A Parquet file that is truncated or otherwise unreadable.
    #[error("The Parquet file is damaged or incomplete ({detail}). Write it again and upload the complete file.")]
    CorruptParquet {
        /// The reader's complaint.
        detail: String,
    },

    /// JSON or NDJSON that does not parse, or does not have the expected shape.
    #[error("The JSON is not valid{}: {detail}. A .json file must be an array of flat objects and a .ndjson file one object per line; fix the file and upload it again.", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
    InvalidJson {
        /// 1-based line, when known.
        line: Option<u64>,
        /// The parser's complaint.
        detail: String,
    },

    /// Reading the upload or writing the output failed.
    #[error("A storage error occurred while {context}. Try again later; if it keeps happening, tell the administrator.")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The underlying error (logged, not shown).
        #[source]
        source: std::io::Error,
    },

    /// A bug or an unexpected failure in a library; not the user's fault.
    #[error("The file could not be converted because of an internal error. Try again later; if it keeps happening, tell the administrator.")]
    Internal {
        /// Details for the log.
        detail: String,
    },
}

impl IngestError {
    /// The stable snake_case code of this error, for the API and logs.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::InvalidFileName { .. } => "invalid_file_name",
            IngestError::UnsupportedFormat { .. } => "unsupported_format",
            IngestError::FileTooLarge { .. } => "file_too_large",
            IngestError::EmptyFile => "empty_file",
            IngestError::NoRows => "no_rows",
            IngestError::ContentMismatch { .. } => "content_mismatch",
            IngestError::UndetectableEncoding { .. } => "undetectable_encoding",
            IngestError::RaggedRows { .. } => "ragged_rows",
            IngestError::DuplicateColumn { .. } => "duplicate_column",
            IngestError::EmptyColumnName { .. } => "empty_column_name",
            IngestError::TooManyColumns { .. } => "too_many_columns",
            IngestError::RecordTooLarge { .. } => "record_too_large",
            IngestError::ZipBomb { .. } => "zip_bomb",
            IngestError::CorruptSpreadsheet { .. } => "corrupt_spreadsheet",
            IngestError::CorruptParquet { .. } => "corrupt_parquet",
            IngestError::InvalidJson { .. } => "invalid_json",
            IngestError::Io { .. } => "io",
            IngestError::Internal { .. } => "internal",
        }
    }

    /// True when the input is at fault (the server answers 4xx); false for storage failures and bugs.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, IngestError::Io { .. } | IngestError::Internal { .. })
    }

    pub(crate) fn io(context: &'static str) -> impl FnOnce(std::io::Error) -> IngestError {
        move |source| IngestError::Io { context, source }
    }

    pub(crate) fn internal(detail: impl std::fmt::Display) -> IngestError {
        IngestError::Internal {
            detail: detail.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sentences_and_codes_are_snake_case() {
        let errors = [
            IngestError::InvalidFileName {
                reason: "it contains `/`",
            },
            IngestError::UnsupportedFormat {
                extension: "exe".into(),
            },
            IngestError::FileTooLarge { size: 2, limit: 1 },
            IngestError::EmptyFile,
            IngestError::NoRows,
            IngestError::ContentMismatch {
                expected: SourceFormat::Csv,
                detail: "it is a PNG image".into(),
            },
            IngestError::UndetectableEncoding { detail: "x".into() },
            IngestError::RaggedRows {
                line: 3,
                found: 2,
                expected: 3,
            },
            IngestError::DuplicateColumn { name: "a".into() },
            IngestError::EmptyColumnName { position: 2 },
            IngestError::TooManyColumns { limit: 3 },
            IngestError::RecordTooLarge { line: 1, limit: 9 },
            IngestError::ZipBomb { detail: "x".into() },
            IngestError::CorruptSpreadsheet { detail: "x".into() },
            IngestError::CorruptParquet { detail: "x".into() },
            IngestError::InvalidJson {
                line: Some(2),
                detail: "x".into(),
            },
            IngestError::Io {
                context: "reading the upload",
                source: std::io::Error::other("x"),
            },
            IngestError::internal("x"),
        ];
        for e in &errors {
            let msg = e.to_string();
            assert!(msg.chars().next().unwrap().is_uppercase(), "{msg}");
            assert!(msg.ends_with('.'), "{msg}");
            assert!(
                e.code().chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                e.code()
            );
            assert_eq!(e.is_user_error(), !matches!(e.code(), "io" | "internal"));
        }
        let codes: std::collections::HashSet<_> = errors.iter().map(|e| e.code()).collect();
        assert_eq!(codes.len(), errors.len(), "codes are unique");
    }
}
