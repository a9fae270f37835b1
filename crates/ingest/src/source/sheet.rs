//! XLSX and XLS: the first sheet, whose first non-empty row is the header.
//!
//! XLSX is streamed cell by cell with calamine's cell reader, after the zip container has been
//! checked for decompression bombs ([`check_xlsx_container`]). XLS has no streaming reader in
//! calamine, but the format itself caps a sheet at 65,536 rows by 256 columns, which bounds memory.

use super::{Pass, Sink, PROGRESS_EVERY_ROWS};
use crate::columns::Columns;
use crate::format::{sniff_binary, OLE_MAGIC, ZIP_MAGIC};
use crate::progress::Progress;
use crate::value::format_float;
use crate::{IngestError, Limits, SourceFormat};
use calamine::{
    open_workbook, Data, DataRef, ExcelDateTime, Reader, Xls, XlsError, Xlsx, XlsxError,
};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

fn io_read(e: io::Error) -> IngestError {
    IngestError::Io {
        context: "reading the upload",
        source: e,
    }
}

fn corrupt(e: impl std::fmt::Display) -> IngestError {
    IngestError::CorruptSpreadsheet {
        detail: e.to_string(),
    }
}

fn password_protected() -> IngestError {
    corrupt("it is protected with a password; remove the password before uploading")
}

/// Checks that the file starts with `magic`, naming what it is instead when it does not.
pub(crate) fn check_magic(
    path: &Path,
    magic: &[u8],
    format: SourceFormat,
    missing: &str,
) -> Result<(), IngestError> {
    let mut prefix = [0u8; 16];
    let mut file = File::open(path).map_err(io_read)?;
    let mut n = 0;
    while n < prefix.len() {
        match file.read(&mut prefix[n..]).map_err(io_read)? {
            0 => break,
            k => n += k,
        }
    }
    let prefix = &prefix[..n];
    if prefix.starts_with(magic) {
        return Ok(());
    }
    let detail = sniff_binary(prefix).unwrap_or(missing).to_string();
    Err(IngestError::ContentMismatch {
        expected: format,
        detail,
    })
}

/// Zip archives with more entries than this are rejected outright; a workbook has a few dozen.
const MAX_ZIP_ENTRIES: usize = 10_000;
/// Entries smaller than this are not held to the compression-ratio limit: small XML parts
/// (a sheet of empty styled cells, say) legitimately compress very well and cannot hurt.
const RATIO_EXEMPT_BYTES: u64 = 1024 * 1024;

/// Inspects the zip central directory of an XLSX before calamine opens it, and then checks that
/// every entry really inflates to no more than it declares.
///
/// The second step costs a decompression pass, but the sizes in a zip directory are only claims:
/// the zip reader does not enforce them, and calamine reads the shared-strings part into memory
/// whole, so a lying entry could otherwise exhaust memory or burn CPU for hours.
pub(crate) fn check_xlsx_container(path: &Path, limits: &Limits) -> Result<(), IngestError> {
    check_magic(
        path,
        ZIP_MAGIC,
        SourceFormat::Xlsx,
        "it is not a zip archive",
    )?;
    let file = File::open(path).map_err(io_read)?;
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| IngestError::ContentMismatch {
            expected: SourceFormat::Xlsx,
            detail: format!("it is not a readable zip archive ({e})"),
        })?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(IngestError::ZipBomb {
            detail: format!("it has {} parts", archive.len()),
        });
    }
    let mut declared_total = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(corrupt)?;
        let (size, compressed) = (entry.size(), entry.compressed_size());
        declared_total = declared_total.saturating_add(size);
        if declared_total > limits.max_uncompressed_bytes {
            return Err(IngestError::ZipBomb {
                detail: format!(
                    "its parts add up to more than {} bytes uncompressed",
                    limits.max_uncompressed_bytes
                ),
            });
        }
        if size >= RATIO_EXEMPT_BYTES && size / compressed.max(1) > limits.max_compression_ratio {
            return Err(IngestError::ZipBomb {
                detail: format!(
                    "part `{}` is compressed more than {} to 1",
                    entry.name(),
                    limits.max_compression_ratio
                ),
            });
        }
    }
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(corrupt)?;
        let declared = entry.size();
        let name = entry.name().to_string();
        let actual = io::copy(&mut entry.take(declared.saturating_add(1)), &mut io::sink())
            .map_err(corrupt)?;
        if actual > declared {
            return Err(IngestError::ZipBomb {
                detail: format!("part `{name}` is larger than the archive declares"),
            });
        }
    }
    Ok(())
}

/// Reads the first sheet of an XLSX workbook, streaming its cells.
pub(crate) fn read_xlsx(
    path: &Path,
    total_bytes: u64,
    pass: &mut Pass<'_, '_>,
    sink: &mut Sink<'_>,
) -> Result<(), IngestError> {
    let mut workbook: Xlsx<BufReader<File>> = open_workbook(path).map_err(|e| match e {
        XlsxError::Password => password_protected(),
        e => IngestError::ContentMismatch {
            expected: SourceFormat::Xlsx,
            detail: format!("it is a zip archive but not an Excel workbook ({e})"),
        },
    })?;
    let Some(first) = workbook.sheet_names().into_iter().next() else {
        return Err(IngestError::EmptyFile);
    };
    let mut cells = workbook.worksheet_cells_reader(&first).map_err(corrupt)?;
    let total_rows = u64::from(cells.dimensions().end.0) + 1;
    let mut assembler = Assembler::new(pass, sink);
    while let Some(cell) = cells.next_cell().map_err(corrupt)? {
        let (row, col) = cell.get_position();
        let text = data_ref_text(cell.get_value());
        assembler.cell(row, col, text)?;
        if assembler.rows_done > 0 && assembler.rows_done.is_multiple_of(PROGRESS_EVERY_ROWS) {
            let done = u64::from(row).saturating_mul(total_bytes) / total_rows.max(1);
            assembler.progress.update(done);
        }
    }
    assembler.finish()
}

/// Reads the first sheet of an XLS workbook.
pub(crate) fn read_xls(
    path: &Path,
    total_bytes: u64,
    pass: &mut Pass<'_, '_>,
    sink: &mut Sink<'_>,
) -> Result<(), IngestError> {
    let mut workbook: Xls<BufReader<File>> = open_workbook(path).map_err(|e| match e {
        XlsError::Password => password_protected(),
        e => IngestError::ContentMismatch {
            expected: SourceFormat::Xls,
            detail: format!("it is not an Excel 97-2003 workbook ({e})"),
        },
    })?;
    let Some(first) = workbook.sheet_names().into_iter().next() else {
        return Err(IngestError::EmptyFile);
    };
    let range = workbook.worksheet_range(&first).map_err(corrupt)?;
    let Some((row0, col0)) = range.start() else {
        return Err(IngestError::EmptyFile);
    };
    let total_rows = range.height() as u64;
    let mut assembler = Assembler::new(pass, sink);
    for (i, cells) in range.rows().enumerate() {
        for (j, value) in cells.iter().enumerate() {
            assembler.cell(row0 + i as u32, col0 + j as u32, data_text(value))?;
        }
        if (i as u64 + 1).is_multiple_of(PROGRESS_EVERY_ROWS) {
            assembler
                .progress
                .update((i as u64 + 1).saturating_mul(total_bytes) / total_rows.max(1));
        }
    }
    assembler.finish()
}

/// Groups cells, which arrive row by row, into rows of the header's width.
struct Assembler<'p, 's, 'k, 'a> {
    columns: &'p mut Columns,
    progress: &'p mut Progress<'a>,
    sink: &'s mut Sink<'k>,
    /// First column of the header and its width.
    header: Option<(u32, usize)>,
    current: Option<u32>,
    pending: Vec<(u32, String)>,
    row: Vec<String>,
    rows_done: u64,
}

impl<'p, 's, 'k, 'a> Assembler<'p, 's, 'k, 'a> {
    fn new(pass: &'p mut Pass<'_, 'a>, sink: &'s mut Sink<'k>) -> Self {
        Assembler {
            columns: &mut *pass.columns,
            progress: &mut *pass.progress,
            sink,
            header: None,
            current: None,
            pending: Vec::new(),
            row: Vec::new(),
            rows_done: 0,
        }
    }

    fn cell(&mut self, row: u32, col: u32, text: String) -> Result<(), IngestError> {
        match self.current {
            Some(r) if r == row => {}
            Some(r) if r > row => {
                return Err(corrupt(format!(
                    "row {} appears after row {}",
                    row + 1,
                    r + 1
                )));
            }
            _ => {
                self.end_row()?;
                self.current = Some(row);
            }
        }
        let text = text.trim();
        if !text.is_empty() {
            self.pending.push((col, text.to_string()));
        }
        Ok(())
    }

    fn end_row(&mut self) -> Result<(), IngestError> {
        let Some(row_index) = self.current else {
            return Ok(());
        };
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let min = pending.iter().map(|c| c.0).min().unwrap_or(0);
        let max = pending.iter().map(|c| c.0).max().unwrap_or(0);
        match self.header {
            None => {
                let width = (max - min + 1) as usize;
                self.columns.check_count(width)?;
                for col in min..=max {
                    let name = pending
                        .iter()
                        .find(|c| c.0 == col)
                        .map_or("", |c| c.1.as_str());
                    self.columns.push(name)?;
                }
                self.header = Some((min, width));
                self.row = vec![String::new(); width];
            }
            Some((first, width)) => {
                let last = first + width as u32 - 1;
                if min < first || max > last {
                    let found = (max.max(last) - min.min(first) + 1) as usize;
                    return Err(IngestError::RaggedRows {
                        line: u64::from(row_index) + 1,
                        found,
                        expected: width,
                    });
                }
                for cell in &mut self.row {
                    cell.clear();
                }
                for (col, text) in pending {
                    self.row[(col - first) as usize] = text;
                }
                super::sink_owned(self.sink, self.columns, &self.row)?;
                self.rows_done += 1;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), IngestError> {
        self.end_row()?;
        if self.header.is_none() {
            return Err(IngestError::EmptyFile);
        }
        Ok(())
    }
}

fn data_ref_text(v: &DataRef<'_>) -> String {
    match v {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => format_float(*f),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => datetime_text(dt),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        // A formula error (#DIV/0!, #N/A) holds no value.
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

fn data_text(v: &Data) -> String {
    match v {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => format_float(*f),
        Data::String(s) => s.clone(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => datetime_text(dt),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// An Excel date-time as text the inference recognises: a date, a timestamp, or (for
/// durations and times of day) `H:MM:SS`.
fn datetime_text(dt: &ExcelDateTime) -> String {
    let serial = dt.as_f64();
    if dt.is_duration() || (0.0..1.0).contains(&serial) {
        let secs = (serial * 86_400.0).round() as i64;
        return format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    }
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    if (h, mi, s, ms) == (0, 0, 0, 0) {
        format!("{y:04}-{mo:02}-{d:02}")
    } else if ms == 0 {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{ms:03}")
    }
}

/// Checks the OLE signature of an XLS file.
pub(crate) fn check_xls_container(path: &Path) -> Result<(), IngestError> {
    // Many systems export HTML or tab-separated text under a .xls name.
    check_magic(
        path,
        OLE_MAGIC,
        SourceFormat::Xls,
        "it is not an Excel 97-2003 workbook (it may be HTML or text saved as .xls)",
    )
}
