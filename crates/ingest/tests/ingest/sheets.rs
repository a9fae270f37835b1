//! XLSX (generated here) and XLS (a fixture from calamine's test suite, MIT licensed).

use crate::support::{days, ingest_err, ingest_ok, vals, xlsx};
use arrow_schema::DataType;
use ingest::SourceFormat;
use model::pii::PiiKind;
use model::Grade;

fn s(cell: &str, index: usize) -> String {
    format!(r#"<c r="{cell}" t="s"><v>{index}</v></c>"#)
}
fn n(cell: &str, v: &str) -> String {
    format!(r#"<c r="{cell}"><v>{v}</v></c>"#)
}
fn date(cell: &str, serial: u32) -> String {
    format!(r#"<c r="{cell}" s="1"><v>{serial}</v></c>"#)
}
fn b(cell: &str, v: bool) -> String {
    format!(r#"<c r="{cell}" t="b"><v>{}</v></c>"#, u8::from(v))
}
fn inline(cell: &str, v: &str) -> String {
    format!(r#"<c r="{cell}" t="inlineStr"><is><t>{v}</t></is></c>"#)
}
fn row(r: u32, cells: &[String]) -> String {
    format!(r#"<row r="{r}">{}</row>"#, cells.concat())
}

#[test]
fn xlsx_round_trip() {
    let strings = [
        "编号", "名称", "金额", "日期", "有效", "手机", "区号", "杭州", "宁波",
    ];
    let header: Vec<String> = ["A1", "B1", "C1", "D1", "E1", "F1", "G1"]
        .iter()
        .enumerate()
        .map(|(i, c)| s(c, i))
        .collect();
    let data = [
        row(1, &header),
        row(
            2,
            &[
                n("A2", "1"),
                s("B2", 7),
                n("C2", "12.5"),
                date("D2", 45292),
                b("E2", true),
                n("F2", "13812345678"),
                inline("G2", "0571"),
            ],
        ),
        row(
            3,
            &[
                n("A3", "2"),
                s("B3", 8),
                n("C3", "3"),
                date("D3", 45293),
                b("E3", false),
                n("F3", "15900001111"),
                inline("G3", "0574"),
            ],
        ),
        // Row 4 is missing (blank) and row 5 has gaps: both must come through as nulls.
        row(5, &[n("A5", "3"), inline("B5", "温州"), date("D5", 45294)]),
    ]
    .concat();
    let t = ingest_ok("表格.xlsx", &xlsx(&strings, &data));
    assert_eq!(t.outcome.format, SourceFormat::Xlsx);
    assert_eq!(t.outcome.encoding, None);
    assert_eq!(t.outcome.row_count, 3);
    assert_eq!(
        t.outcome
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        &strings[..7]
    );

    assert_eq!(t.data_type("编号"), &DataType::Int64);
    assert_eq!(t.values("编号"), vals(&[Some("1"), Some("2"), Some("3")]));
    assert_eq!(
        t.values("名称"),
        vals(&[Some("杭州"), Some("宁波"), Some("温州")])
    );
    assert_eq!(t.data_type("金额"), &DataType::Float64);
    assert_eq!(t.values("金额"), vals(&[Some("12.5"), Some("3"), None]));
    assert_eq!(t.data_type("日期"), &DataType::Date32);
    let (d1, d2, d3) = (days("2024-01-01"), days("2024-01-02"), days("2024-01-03"));
    assert_eq!(t.values("日期"), vals(&[Some(&d1), Some(&d2), Some(&d3)]));
    assert_eq!(t.column("日期").profile.max.as_deref(), Some("2024-01-03"));
    assert_eq!(t.data_type("有效"), &DataType::Boolean);
    assert_eq!(t.values("有效"), vals(&[Some("true"), Some("false"), None]));
    // Numeric cells holding mobile numbers and text cells with leading zeros stay text.
    assert_eq!(t.data_type("手机"), &DataType::Utf8);
    assert_eq!(
        t.values("手机"),
        vals(&[Some("13812345678"), Some("15900001111"), None])
    );
    assert_eq!(t.column("手机").findings[0].kind, PiiKind::Mobile);
    assert_eq!(t.column("手机").proposed_grade, Grade::L3);
    assert_eq!(t.values("区号"), vals(&[Some("0571"), Some("0574"), None]));
}

#[test]
fn xlsx_table_may_start_below_and_right() {
    let data = [
        row(3, &[inline("C3", "a"), inline("D3", "b")]),
        row(4, &[n("C4", "1"), n("D4", "2")]),
    ]
    .concat();
    let t = ingest_ok("offset.xlsx", &xlsx(&[], &data));
    assert_eq!(t.values("a"), vals(&[Some("1")]));
    assert_eq!(t.values("b"), vals(&[Some("2")]));
}

#[test]
fn xlsx_value_outside_the_header_is_ragged() {
    let data = [
        row(1, &[inline("A1", "a"), inline("B1", "b")]),
        row(2, &[n("A2", "1"), n("C2", "3")]),
    ]
    .concat();
    let err = ingest_err("ragged.xlsx", &xlsx(&[], &data), "ragged_rows");
    assert!(
        err.to_string()
            .contains("Line 2 has 3 fields but the header has 2"),
        "{err}"
    );
}

#[test]
fn xlsx_header_with_a_gap_is_rejected() {
    let data = [
        row(1, &[inline("A1", "a"), inline("C1", "c")]),
        row(2, &[n("A2", "1")]),
    ]
    .concat();
    let err = ingest_err("gap.xlsx", &xlsx(&[], &data), "empty_column_name");
    assert!(err.to_string().contains("Column 2"), "{err}");
}

#[test]
fn xlsx_header_only_has_no_rows() {
    let data = row(1, &[inline("A1", "a")]);
    ingest_err("header.xlsx", &xlsx(&[], &data), "no_rows");
    ingest_err("blank.xlsx", &xlsx(&[], ""), "empty_file");
}

/// The legacy `.xls` workbook is written by `tests/tools/make_xls.py` (xlwt, from PyPI), which
/// `scripts/test` runs and names in `GONGSHU_XLS_FIXTURE`; Rust has no BIFF8 writer to make one here.
#[test]
fn xls_round_trip() {
    let Ok(path) = std::env::var("GONGSHU_XLS_FIXTURE") else {
        eprintln!("skipped: GONGSHU_XLS_FIXTURE is not set (scripts/test sets it)");
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    let t = ingest_ok("people.xls", &bytes);
    assert_eq!(t.outcome.format, SourceFormat::Xls);
    assert_eq!(t.outcome.encoding, None);
    assert_eq!(t.outcome.row_count, 4);
    let names: Vec<&str> = t.outcome.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["姓名", "手机号", "年龄", "所在区", "入职日期"]);
    assert_eq!(t.data_type("年龄"), &DataType::Int64);
    assert_eq!(
        t.data_type("手机号"),
        &DataType::Utf8,
        "mobile numbers stay text"
    );
    assert_eq!(t.values("姓名")[..2], vals(&[Some("张伟"), Some("李娜")]));
    let age = &t.column("年龄").profile;
    assert_eq!(
        (age.min.as_deref(), age.max.as_deref()),
        (Some("28"), Some("51"))
    );
    let kinds = |c: &str| {
        t.column(c)
            .findings
            .iter()
            .map(|f| f.kind)
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds("手机号"), [model::pii::PiiKind::Mobile]);
    assert_eq!(kinds("姓名"), [model::pii::PiiKind::PersonName]);
}

#[test]
fn damaged_xlsx_is_corrupt() {
    // A shared-string reference past the end of the table.
    let data = [row(1, &[inline("A1", "a")]), row(2, &[s("A2", 99)])].concat();
    let err = ingest_err("broken.xlsx", &xlsx(&[], &data), "corrupt_spreadsheet");
    assert!(
        err.to_string()
            .starts_with("The spreadsheet could not be read"),
        "{err}"
    );
}
