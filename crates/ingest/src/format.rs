//! Source formats, the file-name check, and recognising binary content by its magic bytes.

use crate::IngestError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The format of an uploaded file, decided by its extension and then checked against its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// Comma-separated values.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// Office Open XML workbook (first sheet).
    Xlsx,
    /// Legacy Excel 97–2003 workbook (first sheet).
    Xls,
    /// A JSON array of flat objects.
    Json,
    /// Newline-delimited JSON: one object per line (also `.jsonl`).
    Ndjson,
    /// Apache Parquet; validated and rewritten with its types kept.
    Parquet,
}

impl SourceFormat {
    /// Every format, in the order shown to users.
    pub const ALL: &'static [SourceFormat] = &[
        SourceFormat::Csv,
        SourceFormat::Tsv,
        SourceFormat::Xlsx,
        SourceFormat::Xls,
        SourceFormat::Json,
        SourceFormat::Ndjson,
        SourceFormat::Parquet,
    ];

    /// The stable code used in the API and the database (`"csv"`, `"tsv"`, `"xlsx"`, ...).
    pub fn code(self) -> &'static str {
        match self {
            SourceFormat::Csv => "csv",
            SourceFormat::Tsv => "tsv",
            SourceFormat::Xlsx => "xlsx",
            SourceFormat::Xls => "xls",
            SourceFormat::Json => "json",
            SourceFormat::Ndjson => "ndjson",
            SourceFormat::Parquet => "parquet",
        }
    }

    /// The name people use for the format, for messages (`"CSV"`, `"Parquet"`).
    pub fn label(self) -> &'static str {
        match self {
            SourceFormat::Csv => "CSV",
            SourceFormat::Tsv => "TSV",
            SourceFormat::Xlsx => "XLSX",
            SourceFormat::Xls => "XLS",
            SourceFormat::Json => "JSON",
            SourceFormat::Ndjson => "NDJSON",
            SourceFormat::Parquet => "Parquet",
        }
    }

    /// The format named by the extension of `name` (case-insensitive).
    ///
    /// `.txt` is deliberately not accepted: its delimiter is anyone's guess, and guessing wrong
    /// silently produces a one-column table.
    pub fn from_file_name(name: &str) -> Result<SourceFormat, IngestError> {
        let extension = match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => ext,
            _ => "",
        };
        let format = match extension.to_ascii_lowercase().as_str() {
            "csv" => SourceFormat::Csv,
            "tsv" | "tab" => SourceFormat::Tsv,
            "xlsx" => SourceFormat::Xlsx,
            "xls" => SourceFormat::Xls,
            "json" => SourceFormat::Json,
            "ndjson" | "jsonl" => SourceFormat::Ndjson,
            "parquet" => SourceFormat::Parquet,
            _ => {
                return Err(IngestError::UnsupportedFormat {
                    extension: extension.to_string(),
                })
            }
        };
        Ok(format)
    }

    /// Whether the format is text, whose encoding is detected and reported.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            SourceFormat::Csv | SourceFormat::Tsv | SourceFormat::Json | SourceFormat::Ndjson
        )
    }
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Checks the user's name for an upload.
///
/// Rejects names with `/`, `\`, NUL, control characters, `.` or `..` as the name, empty names,
/// and names over 255 bytes. The name is never used as a path by this crate, but the server
/// stores and shows it, and a name that could climb out of a directory must never get that far.
pub fn validate_file_name(name: &str) -> Result<(), IngestError> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > 255 {
        "it is longer than 255 bytes"
    } else if name.contains(['/', '\\']) {
        "it contains a path separator"
    } else if name.chars().any(char::is_control) {
        "it contains control characters"
    } else if name == "." || name == ".." {
        "it is a relative directory name"
    } else {
        return Ok(());
    };
    Err(IngestError::InvalidFileName { reason })
}

/// Zip local-file header: XLSX, DOCX, plain zip archives.
pub(crate) const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// OLE2 compound document: XLS, DOC, MSG.
pub(crate) const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
/// Parquet header and footer magic.
pub(crate) const PARQUET_MAGIC: &[u8] = b"PAR1";

/// Recognises well-known binary formats by their first bytes, to tell the user what they
/// actually uploaded instead of a confusing parse error further down.
pub(crate) fn sniff_binary(prefix: &[u8]) -> Option<&'static str> {
    const MAGICS: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "it is a PNG image"),
        (b"\xFF\xD8\xFF", "it is a JPEG image"),
        (b"GIF87a", "it is a GIF image"),
        (b"GIF89a", "it is a GIF image"),
        (b"%PDF-", "it is a PDF document"),
        (ZIP_MAGIC, "it is a zip archive (perhaps an XLSX workbook)"),
        (b"PK\x05\x06", "it is an empty zip archive"),
        (
            OLE_MAGIC,
            "it is a legacy Office document (perhaps an XLS workbook)",
        ),
        (b"\x1F\x8B", "it is gzip-compressed"),
        (PARQUET_MAGIC, "it is a Parquet file"),
        (b"7z\xBC\xAF\x27\x1C", "it is a 7-Zip archive"),
        (b"Rar!\x1A\x07", "it is a RAR archive"),
        (b"\x7FELF", "it is an executable program"),
    ];
    MAGICS
        .iter()
        .find(|(magic, _)| prefix.starts_with(magic))
        .map(|(_, what)| *what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        let check = |name: &str, expected: Option<SourceFormat>| {
            assert_eq!(SourceFormat::from_file_name(name).ok(), expected, "{name}");
        };
        check("data.csv", Some(SourceFormat::Csv));
        check("DATA.CSV", Some(SourceFormat::Csv));
        check("人口.2024.tsv", Some(SourceFormat::Tsv));
        check("a.xlsx", Some(SourceFormat::Xlsx));
        check("a.xls", Some(SourceFormat::Xls));
        check("a.json", Some(SourceFormat::Json));
        check("a.ndjson", Some(SourceFormat::Ndjson));
        check("a.jsonl", Some(SourceFormat::Ndjson));
        check("a.parquet", Some(SourceFormat::Parquet));
        check("a.txt", None);
        check("csv", None);
        check(".csv", None);
        check("a.", None);
        for f in SourceFormat::ALL {
            let name = format!("x.{}", f.code());
            assert_eq!(SourceFormat::from_file_name(&name).unwrap(), *f);
        }
        let err = SourceFormat::from_file_name("a.exe").unwrap_err();
        assert_eq!(err.code(), "unsupported_format");
    }

    #[test]
    fn file_names() {
        for ok in [
            "data.csv",
            "人口 统计 (2024).xlsx",
            "a..b.csv",
            ".hidden.csv",
        ] {
            assert!(validate_file_name(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(252) + ".csv";
        for bad in [
            "",
            "..",
            ".",
            "../x.csv",
            "a/b.csv",
            "a\\b.csv",
            "a\0.csv",
            "a\n.csv",
            long.as_str(),
        ] {
            let err = validate_file_name(bad).unwrap_err();
            assert_eq!(err.code(), "invalid_file_name", "{bad:?}");
        }
    }

    #[test]
    fn magic() {
        assert!(sniff_binary(b"\x89PNG\r\n\x1a\n....")
            .unwrap()
            .contains("PNG"));
        assert!(sniff_binary(b"PK\x03\x04rest").unwrap().contains("zip"));
        assert_eq!(sniff_binary(b"name,age\n"), None);
        assert_eq!(sniff_binary(b""), None);
    }
}
