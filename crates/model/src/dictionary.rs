//! The data dictionary of a resource (数据字典, DESIGN.md C1 and C9): what each column holds, in
//! the publisher's words, and which columns together identify a row (the key). Descriptions are
//! public metadata: they appear on the dataset page, in the Frictionless schema, in CKAN's
//! DataStore fields and in the metadata quality; the key is checked at every upload (rows whose
//! key repeats an earlier row's, or lacks a part, cost uniqueness points). One column may be
//! declared the order of the rows (for example a date): versions are then written sorted by it,
//! so that filters and sorts on it skip what they do not need.

use crate::pii::find_in_text;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest description of one column, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// Most columns in one key.
pub const MAX_KEY_COLUMNS: usize = 8;

/// What the publisher says about one column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnNote {
    /// The column's name, as in the latest version.
    pub column: String,
    /// What the column holds; empty when undescribed.
    #[serde(default)]
    pub description: String,
    /// Part of the resource's key.
    #[serde(default)]
    pub key: bool,
    /// The column the rows are kept in order of (ascending, empty cells last); at most one.
    #[serde(default)]
    pub order: bool,
}

/// Why a dictionary was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DictionaryError {
    /// A column the latest version does not have.
    UnknownColumn(String),
    /// The same column twice.
    DuplicateColumn(String),
    /// A description over [`MAX_DESCRIPTION_CHARS`].
    TooLong(String),
    /// A description with control characters.
    ControlCharacters(String),
    /// A description holding a citizen ID, bank card or mobile number.
    PersonalInformation(String),
    /// More than [`MAX_KEY_COLUMNS`] key columns.
    KeyTooWide(usize),
    /// More than one column declared the order of the rows.
    OrderNotUnique,
}

impl DictionaryError {
    /// A stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            DictionaryError::UnknownColumn(_) => "unknown_column",
            DictionaryError::DuplicateColumn(_) => "duplicate_column",
            DictionaryError::TooLong(_) => "description_too_long",
            DictionaryError::ControlCharacters(_) => "invalid_description",
            DictionaryError::PersonalInformation(_) => "personal_information",
            DictionaryError::KeyTooWide(_) => "key_too_wide",
            DictionaryError::OrderNotUnique => "order_not_unique",
        }
    }
}

impl fmt::Display for DictionaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DictionaryError::UnknownColumn(c) => {
                write!(f, "The latest version has no column `{c}`.")
            }
            DictionaryError::DuplicateColumn(c) => write!(f, "The column `{c}` is given twice."),
            DictionaryError::TooLong(c) => write!(
                f,
                "The description of `{c}` is longer than {MAX_DESCRIPTION_CHARS} characters."
            ),
            DictionaryError::ControlCharacters(c) => write!(
                f,
                "The description of `{c}` holds control characters; write it as plain text."
            ),
            DictionaryError::PersonalInformation(c) => write!(
                f,
                "The description of `{c}` holds what looks like a citizen ID, bank card or mobile \
                 number; descriptions are public."
            ),
            DictionaryError::KeyTooWide(n) => {
                write!(f, "A key has at most {MAX_KEY_COLUMNS} columns, not {n}.")
            }
            DictionaryError::OrderNotUnique => write!(
                f,
                "The rows can be kept in the order of one column only; choose one `order` column."
            ),
        }
    }
}

impl std::error::Error for DictionaryError {}

/// Checks a dictionary against the columns of the latest version (in file order) and returns it
/// in that order, descriptions trimmed, columns with neither a description nor a key left out.
pub fn check(notes: &[ColumnNote], columns: &[String]) -> Result<Vec<ColumnNote>, DictionaryError> {
    let mut seen = std::collections::HashSet::new();
    for n in notes {
        if !columns.contains(&n.column) {
            return Err(DictionaryError::UnknownColumn(n.column.clone()));
        }
        if !seen.insert(n.column.as_str()) {
            return Err(DictionaryError::DuplicateColumn(n.column.clone()));
        }
        let text = n.description.trim();
        if text.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(DictionaryError::TooLong(n.column.clone()));
        }
        // Line breaks and tabs are plain text; other control characters are not.
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(DictionaryError::ControlCharacters(n.column.clone()));
        }
        if !find_in_text(text).is_empty() {
            return Err(DictionaryError::PersonalInformation(n.column.clone()));
        }
    }
    let keys = notes.iter().filter(|n| n.key).count();
    if keys > MAX_KEY_COLUMNS {
        return Err(DictionaryError::KeyTooWide(keys));
    }
    if notes.iter().filter(|n| n.order).count() > 1 {
        return Err(DictionaryError::OrderNotUnique);
    }
    Ok(columns
        .iter()
        .filter_map(|c| notes.iter().find(|n| &n.column == c))
        .map(|n| ColumnNote {
            column: n.column.clone(),
            description: n.description.trim().to_string(),
            key: n.key,
            order: n.order,
        })
        .filter(|n| n.key || n.order || !n.description.is_empty())
        .collect())
}

/// The key's columns, in file order.
pub fn key_columns(notes: &[ColumnNote]) -> Vec<String> {
    notes
        .iter()
        .filter(|n| n.key)
        .map(|n| n.column.clone())
        .collect()
}

/// The column the rows are declared to be kept in order of, if any.
pub fn order_column(notes: &[ColumnNote]) -> Option<String> {
    notes.iter().find(|n| n.order).map(|n| n.column.clone())
}

/// The description of a column, if it has one.
pub fn description_of<'a>(notes: &'a [ColumnNote], column: &str) -> Option<&'a str> {
    notes
        .iter()
        .find(|n| n.column == column && !n.description.is_empty())
        .map(|n| n.description.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(column: &str, description: &str, key: bool) -> ColumnNote {
        ColumnNote {
            column: column.into(),
            description: description.into(),
            key,
            order: false,
        }
    }

    fn columns() -> Vec<String> {
        ["站点编号", "日期", "客流"].map(String::from).to_vec()
    }

    #[test]
    fn a_dictionary_comes_back_in_file_order_trimmed_and_without_empty_notes() {
        let got = check(
            &[
                note("客流", "  当日进站人次 ", false),
                note("日期", "", false),
                note("站点编号", "", true),
            ],
            &columns(),
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                note("站点编号", "", true),
                note("客流", "当日进站人次", false)
            ]
        );
        assert_eq!(key_columns(&got), vec!["站点编号".to_string()]);
        assert_eq!(description_of(&got, "客流"), Some("当日进站人次"));
        assert_eq!(description_of(&got, "站点编号"), None);
    }

    #[test]
    fn bad_dictionaries_are_refused_with_the_column_named() {
        let cols = columns();
        let cases = [
            (vec![note("无此列", "x", false)], "unknown_column"),
            (
                vec![note("日期", "a", false), note("日期", "b", false)],
                "duplicate_column",
            ),
            (
                vec![note("日期", &"长".repeat(MAX_DESCRIPTION_CHARS + 1), false)],
                "description_too_long",
            ),
            (vec![note("日期", "a\u{0}b", false)], "invalid_description"),
            (
                vec![note("日期", "例如 11010519491231002X", false)],
                "personal_information",
            ),
        ];
        for (notes, code) in cases {
            let e = check(&notes, &cols).unwrap_err();
            assert_eq!(e.code(), code, "{notes:?}");
            assert!(e.to_string().contains('`'), "{e}");
        }
        // Exactly the limit is fine, and line breaks are text.
        let long = "长".repeat(MAX_DESCRIPTION_CHARS);
        assert!(check(&[note("日期", &long, false)], &cols).is_ok());
        assert!(check(&[note("日期", "第一行\n第二行", false)], &cols).is_ok());
    }

    #[test]
    fn a_key_is_at_most_eight_columns() {
        let cols: Vec<String> = (0..10).map(|i| format!("c{i}")).collect();
        let notes: Vec<ColumnNote> = cols.iter().map(|c| note(c, "", true)).collect();
        assert_eq!(
            check(&notes, &cols).unwrap_err(),
            DictionaryError::KeyTooWide(10)
        );
        assert_eq!(check(&notes[..8], &cols).unwrap().len(), 8);
    }

    #[test]
    fn one_column_may_be_the_order_of_the_rows() {
        let cols = columns();
        let ordered = |column: &str| ColumnNote {
            order: true,
            ..note(column, "", false)
        };
        // An order alone keeps the note, as a key does.
        let got = check(&[ordered("日期")], &cols).unwrap();
        assert_eq!(got, vec![ordered("日期")]);
        assert_eq!(order_column(&got), Some("日期".to_string()));
        assert_eq!(order_column(&[note("日期", "x", true)]), None);
        let e = check(&[ordered("日期"), ordered("客流")], &cols).unwrap_err();
        assert_eq!(e, DictionaryError::OrderNotUnique);
        assert_eq!(e.code(), "order_not_unique");
        // Saved dictionaries from before the order existed still read.
        let old: ColumnNote =
            serde_json::from_str(r#"{"column":"日期","description":"","key":true}"#).unwrap();
        assert!(!old.order);
    }
}
