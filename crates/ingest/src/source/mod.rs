//! Row sources: each format turned into the same stream of rows of trimmed text cells.
//!
//! Sources push rows into a sink rather than being pulled, because serde_json can only stream
//! the elements of a top-level array through a visitor. A cell is the text of the value with
//! surrounding whitespace removed; an empty cell is a null. Rows whose every cell is empty are
//! skipped: they are what spreadsheets and exports leave below the data, and carry nothing.
//!
//! Every source is read once, in pass 1; pass 2 reads the rows pass 1 kept (see `spill`).

pub(crate) mod delimited;
pub(crate) mod json;
pub(crate) mod sheet;

use crate::columns::Columns;
use crate::progress::Progress;
use crate::IngestError;

/// Receives each row; `row.len() == columns.len()` (JSON rows may be narrower). Cells are borrowed
/// so that the delimited reader can hand over slices of its record without copying them.
pub(crate) type Sink<'s> = dyn FnMut(&Columns, &[&str]) -> Result<(), IngestError> + 's;

/// Hands a row of owned cells to the sink.
pub(crate) fn sink_owned(
    sink: &mut Sink<'_>,
    columns: &Columns,
    row: &[String],
) -> Result<(), IngestError> {
    let cells: Vec<&str> = row.iter().map(String::as_str).collect();
    sink(columns, &cells)
}

/// What a source needs besides its file: the column set and the progress reporter.
pub(crate) struct Pass<'p, 'a> {
    /// The columns, filled while reading.
    pub(crate) columns: &'p mut Columns,
    pub(crate) progress: &'p mut Progress<'a>,
}

/// How often (in rows) sources report progress.
pub(crate) const PROGRESS_EVERY_ROWS: u64 = 4096;

/// Whether every cell of a row is empty.
pub(crate) fn is_blank<'c>(cells: impl IntoIterator<Item = &'c str>) -> bool {
    cells.into_iter().all(|c| c.trim().is_empty())
}
