//! The column names of a table, checked as they are discovered.

use crate::IngestError;
use std::collections::HashMap;

/// Column names in order, unique ignoring case.
///
/// Names are compared ignoring case because the query engine folds unquoted identifiers, so
/// `Name` and `name` could not both be addressed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Columns {
    names: Vec<String>,
    by_key: HashMap<String, usize>,
    limit: usize,
}

impl Columns {
    pub(crate) fn new(limit: usize) -> Self {
        Columns {
            names: Vec::new(),
            by_key: HashMap::new(),
            limit,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// The position of the column named `raw`, adding it when new (JSON keys, which appear
    /// record by record). A name differing from an existing one only in case is a duplicate.
    pub(crate) fn find_or_push(&mut self, raw: &str) -> Result<usize, IngestError> {
        let name = clean(raw);
        match self.by_key.get(&key(name)) {
            Some(&i) if self.names[i] == name => Ok(i),
            Some(_) => Err(IngestError::DuplicateColumn {
                name: name.to_string(),
            }),
            None => self.push(raw),
        }
    }

    /// Checks that a header of `count` columns is within the limit, before looking at the names,
    /// so that a huge header gets the error that explains it.
    pub(crate) fn check_count(&self, count: usize) -> Result<(), IngestError> {
        if count > self.limit {
            return Err(IngestError::TooManyColumns { limit: self.limit });
        }
        Ok(())
    }

    /// Adds a column. The name is trimmed (and a stray byte-order mark removed).
    pub(crate) fn push(&mut self, raw: &str) -> Result<usize, IngestError> {
        let name = clean(raw);
        if name.is_empty() {
            return Err(IngestError::EmptyColumnName {
                position: self.names.len() + 1,
            });
        }
        self.check_count(self.names.len() + 1)?;
        let k = key(name);
        if self.by_key.contains_key(&k) {
            return Err(IngestError::DuplicateColumn {
                name: name.to_string(),
            });
        }
        self.by_key.insert(k, self.names.len());
        self.names.push(name.to_string());
        Ok(self.names.len() - 1)
    }
}

/// A header cell as a column name: without surrounding whitespace or byte-order mark.
pub(crate) fn clean(raw: &str) -> &str {
    raw.trim_start_matches('\u{feff}').trim()
}

fn key(name: &str) -> String {
    clean(name).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        let mut c = Columns::new(3);
        assert_eq!(c.push("\u{feff}id").unwrap(), 0);
        assert_eq!(c.push(" 姓名 ").unwrap(), 1);
        assert_eq!(c.names(), ["id", "姓名"]);
        assert_eq!(c.push("ID").unwrap_err().code(), "duplicate_column");
        assert_eq!(c.push("  ").unwrap_err().code(), "empty_column_name");
        assert!(c.find_or_push("Id").is_err());
        c.push("c").unwrap();
        assert_eq!(c.push("d").unwrap_err().code(), "too_many_columns");
        assert_eq!(c.check_count(4).unwrap_err().code(), "too_many_columns");
    }
}
