//! The rows of pass 1, kept on disk for pass 2.
//!
//! Pass 1 parses the source once and writes every batch of cells here as it goes, on a thread
//! of its own; pass 2 reads the batches back instead of parsing the source again. Reading a
//! batch back is a few large reads and a UTF-8 check, where parsing CSV again cost as much as
//! the first parse, a third of an import's processor time.
//!
//! The file lives next to the destination, is unlinked as soon as it is opened where the system
//! allows it (so not even a crash leaves it behind), and is otherwise removed on drop. It holds
//! the cell text without delimiters or quotes, and every cell's length as a variable-length
//! integer (one byte for cells under 128 bytes), so it is about as large as the source.
//!
//! One batch: five little-endian `u64` (text bytes, cells, rows, new column names, length
//! bytes), each new name as a `u64` length and its bytes, the text, then the length of every
//! cell and the width of every row as LEB128 integers.

use crate::pipeline::RowBatch;
use crate::IngestError;
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

fn io_spill(e: io::Error) -> IngestError {
    IngestError::Io {
        context: "keeping the parsed rows between passes",
        source: e,
    }
}

fn corrupt(what: &str) -> IngestError {
    IngestError::internal(format!("the rows kept between passes are damaged: {what}"))
}

/// Removes the file on drop unless it was already unlinked.
struct Unlink(Option<PathBuf>);

impl Drop for Unlink {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Pass 1's side: batches go in.
pub(crate) struct SpillWriter {
    out: BufWriter<File>,
    unlink: Unlink,
    lengths: Vec<u8>,
    bytes: u64,
    /// Duplicate rows, counted here because this thread has every row's cells side by side
    /// and time to spare while it writes (the parser and the profilers are the critical path).
    duplicates: crate::profile::RowHashes,
}

impl SpillWriter {
    /// A new spill file in `dir`, counting duplicate rows and duplicates of the `key` columns.
    pub(crate) fn create(dir: &Path, key: &[String]) -> Result<SpillWriter, IngestError> {
        let path = dir.join(format!(".rows.{}.tmp", uuid::Uuid::new_v4().simple()));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_spill)?;
        // Where an open file can be unlinked (Unix), nothing is left to clean up, even after a
        // crash; elsewhere the file is removed on drop.
        let unlink = match std::fs::remove_file(&path) {
            Ok(()) => Unlink(None),
            Err(_) => Unlink(Some(path)),
        };
        Ok(SpillWriter {
            out: BufWriter::with_capacity(1 << 20, file),
            unlink,
            lengths: Vec::new(),
            bytes: 0,
            duplicates: crate::profile::RowHashes::with_key(key),
        })
    }

    /// The duplicate rows among those written so far.
    pub(crate) fn take_duplicates(&mut self) -> crate::profile::RowHashes {
        std::mem::take(&mut self.duplicates)
    }

    /// Appends one batch.
    pub(crate) fn write(&mut self, batch: &RowBatch) -> Result<(), IngestError> {
        self.duplicates.observe_batch(batch);
        self.lengths.clear();
        let mut start = 0;
        for &end in &batch.cell_ends {
            leb128(&mut self.lengths, (end - start) as u64);
            start = end;
        }
        let mut start = 0;
        for &end in &batch.row_ends {
            leb128(&mut self.lengths, (end - start) as u64);
            start = end;
        }
        let header = [
            batch.text.len(),
            batch.cell_ends.len(),
            batch.row_ends.len(),
            batch.new_names.len(),
            self.lengths.len(),
        ];
        let mut put = |bytes: &[u8]| -> Result<(), IngestError> {
            self.out.write_all(bytes).map_err(io_spill)?;
            self.bytes += bytes.len() as u64;
            Ok(())
        };
        for n in header {
            put(&(n as u64).to_le_bytes())?;
        }
        for name in &batch.new_names {
            put(&(name.len() as u64).to_le_bytes())?;
            put(name.as_bytes())?;
        }
        put(&batch.text)?;
        let lengths = std::mem::take(&mut self.lengths);
        let written = put(&lengths);
        self.lengths = lengths;
        written
    }

    /// Everything written, ready to be read from the start.
    pub(crate) fn into_reader(self) -> Result<SpillReader, IngestError> {
        let len = self.bytes;
        let mut file = self
            .out
            .into_inner()
            .map_err(|e| io_spill(e.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(io_spill)?;
        Ok(SpillReader {
            input: BufReader::with_capacity(1 << 20, file),
            _unlink: self.unlink,
            len,
            read: 0,
            lengths: Vec::new(),
        })
    }
}

/// Pass 2's side: the same batches come out, in order.
pub(crate) struct SpillReader {
    input: BufReader<File>,
    _unlink: Unlink,
    len: u64,
    read: u64,
    lengths: Vec<u8>,
}

impl SpillReader {
    /// Bytes in the file.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Bytes read so far.
    pub(crate) fn position(&self) -> u64 {
        self.read
    }

    fn fill(&mut self, buf: &mut [u8]) -> Result<(), IngestError> {
        self.input.read_exact(buf).map_err(io_spill)?;
        self.read += buf.len() as u64;
        Ok(())
    }

    fn number(&mut self) -> Result<usize, IngestError> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        usize::try_from(u64::from_le_bytes(b)).map_err(|_| corrupt("a size"))
    }

    /// Reads the next batch into `batch` (emptied first); `false` at the end.
    pub(crate) fn next_into(&mut self, batch: &mut RowBatch) -> Result<bool, IngestError> {
        batch.clear();
        if self.read >= self.len {
            return Ok(false);
        }
        let mut header = [0usize; 5];
        for n in &mut header {
            *n = self.number()?;
        }
        let [text, cells, rows, names, lengths] = header;
        if text as u64 > self.len || lengths as u64 > self.len {
            return Err(corrupt("a batch larger than the file"));
        }
        for _ in 0..names {
            let n = self.number()?;
            if n as u64 > self.len {
                return Err(corrupt("a name larger than the file"));
            }
            let mut name = vec![0u8; n];
            self.fill(&mut name)?;
            batch
                .new_names
                .push(String::from_utf8(name).map_err(|_| corrupt("a name"))?);
        }
        batch.text.resize(text, 0);
        self.fill(&mut batch.text)?;
        let mut lengths_buf = std::mem::take(&mut self.lengths);
        lengths_buf.resize(lengths, 0);
        let filled = self.fill(&mut lengths_buf);
        let decoded = filled.and_then(|()| {
            let mut input = lengths_buf.as_slice();
            let mut end = 0usize;
            for _ in 0..cells {
                end += read_leb128(&mut input)?;
                batch.cell_ends.push(end);
            }
            if end != text {
                return Err(corrupt("cell lengths that do not add up to the text"));
            }
            let mut end = 0usize;
            for _ in 0..rows {
                end += read_leb128(&mut input)?;
                batch.row_ends.push(end);
            }
            if end != cells || !input.is_empty() {
                return Err(corrupt("row widths that do not add up to the cells"));
            }
            Ok(())
        });
        self.lengths = lengths_buf;
        decoded.map(|()| true)
    }
}

fn leb128(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn read_leb128(input: &mut &[u8]) -> Result<usize, IngestError> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = input
            .split_first()
            .ok_or_else(|| corrupt("a length cut short"))?;
        *input = rest;
        n |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return usize::try_from(n).map_err(|_| corrupt("a length"));
        }
    }
    Err(corrupt("a length too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(rows: &[&[&str]], names: &[&str]) -> RowBatch {
        let mut b = RowBatch::default();
        for row in rows {
            b.push_row(row);
        }
        b.new_names = names.iter().map(|n| n.to_string()).collect();
        b
    }

    #[test]
    fn batches_come_back_as_they_went_in() {
        let dir = tempfile::tempdir().unwrap();
        let long = "长".repeat(100);
        let batches = [
            batch(
                &[&["1", "杭州", ""], &["2", &long, "x"]],
                &["id", "城市", "备注"],
            ),
            batch(&[], &[]),
            batch(&[&["3"], &["", "", "", "新"]], &["新列"]),
        ];
        let mut w = SpillWriter::create(dir.path(), &[]).unwrap();
        for b in &batches {
            w.write(b).unwrap();
        }
        let mut r = w.into_reader().unwrap();
        let mut got = RowBatch::default();
        for b in &batches {
            assert!(r.next_into(&mut got).unwrap());
            assert_eq!(got.text, b.text);
            assert_eq!(got.cell_ends, b.cell_ends);
            assert_eq!(got.row_ends, b.row_ends);
            assert_eq!(got.new_names, b.new_names);
        }
        assert!(!r.next_into(&mut got).unwrap());
        assert_eq!(r.position(), r.len());
    }

    #[test]
    fn the_file_is_gone_once_opened_and_nothing_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = SpillWriter::create(dir.path(), &[]).unwrap();
        w.write(&batch(&[&["a"]], &["c"])).unwrap();
        let r = w.into_reader().unwrap();
        drop(r);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn lengths_round_trip() {
        for n in [0u64, 1, 127, 128, 300, 16_383, 16_384, u32::MAX as u64] {
            let mut out = Vec::new();
            leb128(&mut out, n);
            let mut input = out.as_slice();
            assert_eq!(read_leb128(&mut input).unwrap() as u64, n);
            assert!(input.is_empty());
        }
        assert!(read_leb128(&mut [0x80u8].as_slice()).is_err());
    }
}
