//! Text encodings: detecting them before the first pass, and decoding to UTF-8 while streaming.
//!
//! Detection reads the whole file once, without keeping it: a file whose every byte is valid
//! UTF-8 is UTF-8 (checking a prefix is not enough, because exports from older systems often
//! start with an ASCII header and numbers and reach Chinese text only megabytes later). Otherwise
//! chardetng looks at a window around the first non-UTF-8 bytes; only a GBK guess is accepted,
//! and only if the whole file then decodes as GB18030 without a single malformed sequence, so a
//! wrong guess cannot silently turn text into mojibake.

use crate::format::sniff_binary;
use crate::{IngestError, SourceFormat};
use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{DecoderResult, Encoding, GB18030, GBK, UTF_16BE, UTF_16LE, UTF_8};
use encoding_rs_io::DecodeReaderBytesBuilder;
use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::rc::Rc;

/// An encoding ingest can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    Utf8,
    Gbk,
    /// GBK plus the four-byte sequences of GB18030.
    Gb18030,
    /// Only with a byte-order mark, as Excel's "Unicode text" export writes.
    Utf16Le,
    Utf16Be,
}

impl TextEncoding {
    /// The name reported to the server.
    pub(crate) fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Gbk => "GBK",
            TextEncoding::Gb18030 => "GB18030",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
        }
    }

    fn encoding(self) -> &'static Encoding {
        match self {
            TextEncoding::Utf8 => UTF_8,
            // GB18030 decodes everything GBK does; using it for both never loses a character.
            TextEncoding::Gbk | TextEncoding::Gb18030 => GB18030,
            TextEncoding::Utf16Le => UTF_16LE,
            TextEncoding::Utf16Be => UTF_16BE,
        }
    }
}

const CHUNK: usize = 64 * 1024;
/// How much text chardetng sees; its guess is stable long before this.
const DETECTION_WINDOW: usize = 1024 * 1024;

fn io_read(e: io::Error) -> IngestError {
    IngestError::Io {
        context: "reading the upload",
        source: e,
    }
}

/// Fills `buf` as far as the reader allows; returns the number of bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Decides the encoding of a text upload and checks that it is text at all.
pub(crate) fn detect(path: &Path, format: SourceFormat) -> Result<TextEncoding, IngestError> {
    let mut file = File::open(path).map_err(io_read)?;
    let mut prefix = vec![0u8; CHUNK];
    let n = read_full(&mut file, &mut prefix).map_err(io_read)?;
    prefix.truncate(n);

    let (bom_encoding, bom_len) = match Encoding::for_bom(&prefix) {
        Some((enc, len)) if enc == UTF_16LE => (Some(TextEncoding::Utf16Le), len),
        Some((enc, len)) if enc == UTF_16BE => (Some(TextEncoding::Utf16Be), len),
        Some((_, len)) => (Some(TextEncoding::Utf8), len),
        None => (None, 0),
    };
    if bom_encoding.is_none() {
        if let Some(what) = sniff_binary(&prefix) {
            return Err(IngestError::ContentMismatch {
                expected: format,
                detail: what.to_string(),
            });
        }
    }

    let first_try = bom_encoding.unwrap_or(TextEncoding::Utf8);
    let scan = match scan(path, first_try, bom_len as u64)? {
        Ok(scan) => (first_try, scan),
        Err(bad_offset) if bom_encoding.is_none() => {
            let guess = guess_encoding(path, bad_offset)?;
            if guess != GBK && guess != GB18030 {
                return Err(IngestError::UndetectableEncoding {
                    detail: format!(
                        "it is not UTF-8 (first invalid byte near offset {bad_offset}) and looks most like {}, which is not supported",
                        guess.name()
                    ),
                });
            }
            match scan(path, TextEncoding::Gbk, 0)? {
                Ok(scan) => {
                    let enc = if scan.four_byte_sequences { TextEncoding::Gb18030 } else { TextEncoding::Gbk };
                    (enc, scan)
                }
                Err(offset) => {
                    return Err(IngestError::UndetectableEncoding {
                        detail: format!(
                            "it is neither valid UTF-8 nor valid GBK (invalid bytes near offsets {bad_offset} and {offset})"
                        ),
                    })
                }
            }
        }
        Err(offset) => {
            return Err(IngestError::UndetectableEncoding {
                detail: format!(
                "it starts with a {} byte-order mark but has invalid bytes near offset {offset}",
                first_try.name()
            ),
            })
        }
    };
    let (encoding, stats) = scan;
    if stats.nul {
        return Err(IngestError::ContentMismatch {
            expected: format,
            detail: "it contains binary NUL bytes, so it is not text".to_string(),
        });
    }
    if !stats.non_whitespace {
        return Err(IngestError::EmptyFile);
    }
    Ok(encoding)
}

/// What a full decode of the file showed.
#[derive(Debug, Default)]
struct ScanStats {
    nul: bool,
    non_whitespace: bool,
    four_byte_sequences: bool,
}

/// Decodes the whole file without keeping it. `Ok(Err(offset))` when a malformed sequence was
/// found near `offset`.
fn scan(
    path: &Path,
    encoding: TextEncoding,
    skip: u64,
) -> Result<Result<ScanStats, u64>, IngestError> {
    let mut file = File::open(path).map_err(io_read)?;
    file.seek(SeekFrom::Start(skip)).map_err(io_read)?;
    let mut decoder = encoding.encoding().new_decoder_without_bom_handling();
    let mut stats = ScanStats::default();
    let mut gb = Gb18030Tracker::default();
    let mut src = vec![0u8; CHUNK];
    let mut dst = vec![0u8; CHUNK];
    let mut offset = skip;
    loop {
        let n = read_full(&mut file, &mut src).map_err(io_read)?;
        let last = n == 0;
        if encoding != TextEncoding::Utf8 {
            gb.feed(&src[..n]);
        }
        let mut done = 0;
        loop {
            let (result, read, written) =
                decoder.decode_to_utf8_without_replacement(&src[done..n], &mut dst, last);
            let out = &dst[..written];
            stats.nul |= out.contains(&0);
            stats.non_whitespace |= out.iter().any(|b| !b.is_ascii_whitespace());
            done += read;
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => continue,
                DecoderResult::Malformed(..) => return Ok(Err(offset + done as u64)),
            }
        }
        offset += n as u64;
        if last {
            break;
        }
    }
    stats.four_byte_sequences = gb.four_byte;
    Ok(Ok(stats))
}

/// Spots GB18030 four-byte sequences (a lead byte followed by an ASCII digit), which GBK lacks.
#[derive(Debug, Default)]
struct Gb18030Tracker {
    pending_lead: bool,
    four_byte: bool,
}

impl Gb18030Tracker {
    fn feed(&mut self, bytes: &[u8]) {
        let mut i = 0;
        if self.pending_lead && !bytes.is_empty() {
            self.four_byte |= bytes[0].is_ascii_digit();
            self.pending_lead = false;
            // A four-byte sequence continues with lead and digit again; skipping one byte is
            // enough to stay in step for the next pair.
            i = if bytes[0].is_ascii_digit() { 3 } else { 1 };
        }
        while i < bytes.len() && !self.four_byte {
            let b = bytes[i];
            if b < 0x80 {
                i += 1;
            } else if i + 1 < bytes.len() {
                if bytes[i + 1].is_ascii_digit() {
                    self.four_byte = true;
                }
                i += 2;
            } else {
                self.pending_lead = true;
                i += 1;
            }
        }
    }
}

/// Asks chardetng about a window of text starting a little before `bad_offset`, at a line start.
fn guess_encoding(path: &Path, bad_offset: u64) -> Result<&'static Encoding, IngestError> {
    let mut file = File::open(path).map_err(io_read)?;
    let start = bad_offset.saturating_sub(CHUNK as u64);
    file.seek(SeekFrom::Start(start)).map_err(io_read)?;
    let mut window = vec![0u8; DETECTION_WINDOW];
    let n = read_full(&mut file, &mut window).map_err(io_read)?;
    window.truncate(n);
    // Start after a newline so the detector does not begin inside a two-byte character; a
    // newline byte is never the second byte of a GBK character.
    let begin = if start == 0 {
        0
    } else {
        window.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1)
    };
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    let at_end = (start + n as u64) >= file.metadata().map_err(io_read)?.len();
    detector.feed(&window[begin..], at_end);
    // `.cn`: the platform serves mainland China, where GBK is the legacy encoding to expect.
    Ok(detector.guess(Some(b"cn"), Utf8Detection::Deny))
}

/// Bytes of the source read so far, shared with the progress reporter.
pub(crate) type Consumed = Rc<Cell<u64>>;

struct CountingReader<R> {
    inner: R,
    consumed: Consumed,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

/// Opens the upload as a stream of UTF-8 without a byte-order mark.
pub(crate) fn open_text(
    path: &Path,
    encoding: TextEncoding,
) -> Result<(Box<dyn BufRead>, Consumed), IngestError> {
    let file = File::open(path).map_err(io_read)?;
    let consumed: Consumed = Rc::new(Cell::new(0));
    let counting = CountingReader {
        inner: file,
        consumed: consumed.clone(),
    };
    let reader: Box<dyn BufRead> = if encoding == TextEncoding::Utf8 {
        // Already validated as UTF-8: pass the bytes through, only the BOM is dropped.
        let mut r = BufReader::with_capacity(4 * CHUNK, counting);
        if r.fill_buf().map_err(io_read)?.starts_with(b"\xEF\xBB\xBF") {
            r.consume(3);
        }
        Box::new(r)
    } else {
        let decoded = DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding.encoding()))
            .strip_bom(true)
            .build_with_buffer(counting, vec![0u8; CHUNK])
            .map_err(io_read)?;
        Box::new(BufReader::with_capacity(4 * CHUNK, decoded))
    };
    Ok((reader, consumed))
}

/// Longest physical line accepted in delimited text and NDJSON.
pub(crate) const MAX_LINE_BYTES: u64 = 64 * 1024 * 1024;

/// Fails the read when a physical line grows beyond a limit, so that a file without line
/// breaks (binary, or a wrong delimiter) cannot make the CSV parser buffer all of it.
pub(crate) struct LineGuard<R> {
    inner: R,
    limit: u64,
    current: u64,
    line: u64,
}

/// The error a [`LineGuard`] raises, recognised by the sources to report a user error.
#[derive(Debug)]
pub(crate) struct LineTooLong {
    pub(crate) line: u64,
    pub(crate) limit: u64,
}

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} is longer than {} bytes", self.line, self.limit)
    }
}

impl std::error::Error for LineTooLong {}

impl<R> LineGuard<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        LineGuard {
            inner,
            limit,
            current: 0,
            line: 1,
        }
    }
}

impl<R> LineGuard<R> {
    /// Fails when the current line has grown beyond the limit (plus its line break).
    fn check(&self) -> io::Result<()> {
        if self.current > self.limit + 1 {
            let e = LineTooLong {
                line: self.line,
                limit: self.limit,
            };
            return Err(io::Error::new(io::ErrorKind::InvalidData, e));
        }
        Ok(())
    }
}

impl<R: Read> Read for LineGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let data = &buf[..n];
        // Fast path for reads no longer than the limit (all but tiny test limits): only the
        // line continued from earlier reads can be too long, since every line that ends within
        // this read is shorter than the read; the rest is counting newlines.
        if (n as u64) <= self.limit {
            let Some(first) = memchr::memchr(b'\n', data) else {
                self.current += n as u64;
                return self.check().map(|()| n);
            };
            self.current += first as u64 + 1;
            self.check()?;
            let last = memchr::memrchr(b'\n', data).unwrap_or(first);
            // Counted with SIMD: a plain byte loop here was a twentieth of an import's time.
            self.line += memchr::memchr_iter(b'\n', data).count() as u64;
            self.current = (n - last - 1) as u64;
            return Ok(n);
        }
        for segment in data.split_inclusive(|&b| b == b'\n') {
            self.current += segment.len() as u64;
            self.check()?;
            if segment.last() == Some(&b'\n') {
                self.line += 1;
                self.current = 0;
            }
        }
        Ok(n)
    }
}

/// Turns an I/O error from a guarded text stream into the right ingest error.
pub(crate) fn text_read_error(e: io::Error) -> IngestError {
    if let Some(too_long) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<LineTooLong>())
    {
        return IngestError::RecordTooLarge {
            line: too_long.line,
            limit: too_long.limit,
        };
    }
    io_read(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn detect_bytes(bytes: &[u8]) -> Result<TextEncoding, IngestError> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        detect(f.path(), SourceFormat::Csv)
    }

    #[test]
    fn detection() {
        assert_eq!(detect_bytes(b"a,b\n1,2\n").unwrap(), TextEncoding::Utf8);
        assert_eq!(
            detect_bytes("\u{feff}名称\n杭州\n".as_bytes()).unwrap(),
            TextEncoding::Utf8
        );
        let (gbk, _, _) =
            GBK.encode("名称,地址\n杭州市民卡服务中心,浙江省杭州市西湖区文三路100号\n");
        assert_eq!(detect_bytes(&gbk).unwrap(), TextEncoding::Gbk);
        // "𠮷" (U+20BB7, a variant of 吉 used in personal names) exists only as a GB18030
        // four-byte sequence.
        let (gb18030, _, _) =
            GB18030.encode("名称,备注\n杭州市民卡服务中心,𠮷野家杭州西湖店的数据说明\n");
        assert_eq!(detect_bytes(&gb18030).unwrap(), TextEncoding::Gb18030);
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "a\tb\n1\t2\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(detect_bytes(&utf16).unwrap(), TextEncoding::Utf16Le);
        assert_eq!(
            detect_bytes(b"a,b\n\xff\xff,1\n").unwrap_err().code(),
            "undetectable_encoding"
        );
        assert_eq!(
            detect_bytes(b"a,b\n1,\0\n").unwrap_err().code(),
            "content_mismatch"
        );
        assert_eq!(
            detect_bytes(b"\xEF\xBB\xBF \n\n").unwrap_err().code(),
            "empty_file"
        );
    }

    #[test]
    fn long_ascii_prefix_before_gbk() {
        let mut text = String::from("id,name\n");
        for i in 0..20_000 {
            text.push_str(&format!("{i},abc\n"));
        }
        text.push_str("20000,杭州市西湖区人民政府\n");
        let (gbk, _, _) = GBK.encode(&text);
        assert!(gbk.len() > CHUNK * 2);
        assert_eq!(detect_bytes(&gbk).unwrap(), TextEncoding::Gbk);
    }

    #[test]
    fn line_guard() {
        // Reads shorter than the limit take the fast path, which must agree.
        let text = b"ab\ncdefg\nhijklmnop\nq\n";
        for (limit, long_line) in [(7, Some(3)), (8, Some(3)), (9, None)] {
            let mut guard = LineGuard::new(&text[..], limit);
            let mut chunk = [0u8; 4];
            let result = loop {
                match guard.read(&mut chunk) {
                    Ok(0) => break None,
                    Ok(_) => {}
                    Err(e) => {
                        break e
                            .get_ref()
                            .and_then(|i| i.downcast_ref::<LineTooLong>())
                            .map(|t| t.line)
                    }
                }
            };
            assert_eq!(result, long_line, "limit {limit}");
        }
        let mut ok = LineGuard::new(&b"abc\ndef\n"[..], 4);
        let mut out = Vec::new();
        ok.read_to_end(&mut out).unwrap();
        let mut bad = LineGuard::new(&b"abc\ndefghij\n"[..], 4);
        let err = bad.read_to_end(&mut Vec::new()).unwrap_err();
        match text_read_error(err) {
            IngestError::RecordTooLarge { line, .. } => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }
}
