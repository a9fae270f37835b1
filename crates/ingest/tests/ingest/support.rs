//! Helpers shared by the ingest tests.

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch, RecordBatchReader};
use arrow_schema::{DataType, SchemaRef};
use ingest::{ColumnReport, IngestError, IngestOutcome, IngestRequest, Limits};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// An upload directory and an output directory.
pub struct Scene {
    pub uploads: TempDir,
    pub out: TempDir,
}

impl Scene {
    pub fn new() -> Self {
        Scene {
            uploads: tempfile::tempdir().unwrap(),
            out: tempfile::tempdir().unwrap(),
        }
    }

    pub fn dest(&self) -> PathBuf {
        self.out.path().join("version-1.parquet")
    }

    /// Stores the upload under a neutral name: only `file_name` in the request may decide the format.
    pub fn upload(&self, bytes: &[u8]) -> PathBuf {
        let path = self.uploads.path().join("upload.bin");
        fs::File::create(&path).unwrap().write_all(bytes).unwrap();
        path
    }

    pub fn ingest_with(
        &self,
        name: &str,
        bytes: &[u8],
        limits: &Limits,
    ) -> Result<IngestOutcome, IngestError> {
        self.ingest_keyed(name, bytes, limits, &[])
    }

    /// Ingests with a declared key.
    pub fn ingest_keyed(
        &self,
        name: &str,
        bytes: &[u8],
        limits: &Limits,
        key: &[String],
    ) -> Result<IngestOutcome, IngestError> {
        self.ingest_ordered(name, bytes, limits, key, None)
    }

    /// Ingests with a declared key and a declared order of the rows.
    pub fn ingest_ordered(
        &self,
        name: &str,
        bytes: &[u8],
        limits: &Limits,
        key: &[String],
        sort_by: Option<&str>,
    ) -> Result<IngestOutcome, IngestError> {
        let source = self.upload(bytes);
        let dest = self.dest();
        ingest::ingest_file(IngestRequest {
            source: &source,
            file_name: name,
            dest: &dest,
            limits,
            progress: None,
            key,
            sort_by,
        })
    }

    /// Names of the files in the output directory.
    pub fn out_files(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// A successful ingest: the outcome and the Parquet file read back.
pub struct Ingested {
    pub outcome: IngestOutcome,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

impl Ingested {
    pub fn column(&self, name: &str) -> &ColumnReport {
        self.outcome
            .columns
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    pub fn data_type(&self, name: &str) -> &DataType {
        self.schema.field_with_name(name).unwrap().data_type()
    }

    /// The values of a column across all batches, rendered for comparison (`None` for null).
    pub fn values(&self, name: &str) -> Vec<Option<String>> {
        let index = self.schema.index_of(name).unwrap();
        let mut out = Vec::new();
        for batch in &self.batches {
            let array = batch.column(index);
            for i in 0..array.len() {
                if array.is_null(i) {
                    out.push(None);
                    continue;
                }
                let v = match array.data_type() {
                    DataType::Int64 => array.as_primitive::<Int64Type>().value(i).to_string(),
                    DataType::Float64 => array.as_primitive::<Float64Type>().value(i).to_string(),
                    DataType::Boolean => array.as_boolean().value(i).to_string(),
                    DataType::Date32 => array.as_primitive::<Date32Type>().value(i).to_string(),
                    DataType::Timestamp(..) => array
                        .as_primitive::<TimestampMicrosecondType>()
                        .value(i)
                        .to_string(),
                    DataType::Utf8 => array.as_string::<i32>().value(i).to_string(),
                    other => {
                        let fmt = arrow::util::display::ArrayFormatter::try_new(
                            array.as_ref(),
                            &Default::default(),
                        )
                        .unwrap_or_else(|e| panic!("{other}: {e}"));
                        fmt.value(i).to_string()
                    }
                };
                out.push(Some(v));
            }
        }
        out
    }
}

/// Some(&str) shorthand for expected column values.
pub fn vals(v: &[Option<&str>]) -> Vec<Option<String>> {
    v.iter().map(|x| x.map(str::to_string)).collect()
}

pub fn read_parquet(path: &Path) -> (SchemaRef, Vec<RecordBatch>) {
    let file = fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let schema = reader.schema();
    let batches = reader.map(Result::unwrap).collect();
    (schema, batches)
}

/// Ingests with default limits, expects success, checks the published file and reads it back.
pub fn ingest_ok(name: &str, bytes: &[u8]) -> Ingested {
    ingest_ok_with(name, bytes, &Limits::default())
}

pub fn ingest_ok_with(name: &str, bytes: &[u8], limits: &Limits) -> Ingested {
    let scene = Scene::new();
    let outcome = scene
        .ingest_with(name, bytes, limits)
        .unwrap_or_else(|e| panic!("{name}: {e} ({e:?})"));
    check_published(&scene, &outcome);
    let (schema, batches) = read_parquet(&scene.dest());
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows as u64, outcome.row_count);
    assert_eq!(schema.fields().len(), outcome.columns.len());
    for (field, report) in schema.fields().iter().zip(&outcome.columns) {
        assert_eq!(field.name(), &report.name);
        assert_eq!(report.profile.count, outcome.row_count, "{}", report.name);
    }
    Ingested {
        outcome,
        schema,
        batches,
    }
}

/// The destination holds exactly the reported bytes, and nothing else is in its directory.
pub fn check_published(scene: &Scene, outcome: &IngestOutcome) {
    assert_eq!(scene.out_files(), vec!["version-1.parquet".to_string()]);
    let bytes = fs::read(scene.dest()).unwrap();
    assert_eq!(outcome.byte_size, bytes.len() as u64);
    assert_eq!(outcome.sha256, hex::encode(Sha256::digest(&bytes)));
    assert!(bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"));
}

/// Ingests, expects the error `code`, and checks that nothing was left in the output directory.
pub fn ingest_err(name: &str, bytes: &[u8], code: &str) -> IngestError {
    ingest_err_with(name, bytes, &Limits::default(), code)
}

pub fn ingest_err_with(name: &str, bytes: &[u8], limits: &Limits, code: &str) -> IngestError {
    let scene = Scene::new();
    let err = match scene.ingest_with(name, bytes, limits) {
        Ok(outcome) => panic!(
            "{name}: expected {code}, got success with {} rows",
            outcome.row_count
        ),
        Err(e) => e,
    };
    assert_eq!(err.code(), code, "{name}: {err}");
    assert!(err.is_user_error(), "{code} is a user error");
    let msg = err.to_string();
    assert!(
        msg.ends_with('.') && msg.chars().next().unwrap().is_uppercase(),
        "not a sentence: {msg}"
    );
    assert!(
        scene.out_files().is_empty(),
        "{name}: left behind {:?}",
        scene.out_files()
    );
    err
}

/// A valid 18-character citizen ID (GB 11643) for a region, birth date and sequence number.
pub fn citizen_id(region: &str, birth: &str, seq: u32) -> String {
    let body = format!("{region}{birth}{seq:03}");
    assert_eq!(body.len(), 17);
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// Days since 1970-01-01, for comparing Date32 values.
pub fn days(date: &str) -> String {
    let (y, rest) = date.split_at(4);
    let (m, d) = rest[1..].split_at(2);
    let (y, m, d): (i64, i64, i64) = (
        y.parse().unwrap(),
        m.parse().unwrap(),
        d[1..].parse().unwrap(),
    );
    // Howard Hinnant's days_from_civil, restated here so the test does not trust the crate's.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468).to_string()
}

/// A zip archive of the given entries, deflated.
pub fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

/// A minimal but valid XLSX workbook with one sheet named `数据`, whose `<sheetData>` content is
/// `sheet_data`, the given shared strings, and a second cell style (`s="1"`) with the built-in
/// date format 14.
pub fn xlsx(shared_strings: &[&str], sheet_data: &str) -> Vec<u8> {
    let content_types = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"#;
    let root_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let workbook_rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PKG_REL_NS}">
<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{REL_NS}/styles" Target="styles.xml"/>
<Relationship Id="rId3" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"#
    );
    let styles = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN_NS}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#
    );
    let items: String = shared_strings
        .iter()
        .map(|s| format!("<si><t>{s}</t></si>"))
        .collect();
    let sst = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="{MAIN_NS}" count="{n}" uniqueCount="{n}">{items}</sst>"#,
        n = shared_strings.len()
    );
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetData>{sheet_data}</sheetData></worksheet>"#
    );
    zip_bytes(&[
        ("[Content_Types].xml", content_types.as_bytes()),
        ("_rels/.rels", root_rels.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.as_bytes()),
        ("xl/styles.xml", styles.as_bytes()),
        ("xl/sharedStrings.xml", sst.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ])
}
