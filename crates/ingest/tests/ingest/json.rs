//! JSON arrays and NDJSON.

use crate::support::{ingest_err, ingest_ok, vals};
use arrow_schema::DataType;
use ingest::SourceFormat;
use model::pii::PiiKind;

#[test]
fn json_array_round_trip() {
    let json = r#"[
        {"id": 1, "name": "杭州", "rate": 0.5, "open": true, "phone": "13812345678"},
        {"name": "宁波", "id": 2, "rate": 2, "open": false, "tags": ["a", "b"], "phone": "15900001111"},
        {"id": 3, "name": "  温州 ", "rate": null, "extra": {"k": 1}, "phone": ""}
    ]"#;
    let t = ingest_ok("cities.json", json.as_bytes());
    assert_eq!(t.outcome.format, SourceFormat::Json);
    assert_eq!(t.outcome.encoding.as_deref(), Some("UTF-8"));
    assert_eq!(t.outcome.row_count, 3);
    // Columns in order of first appearance.
    let names: Vec<&str> = t.outcome.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["id", "name", "rate", "open", "phone", "tags", "extra"]
    );
    assert_eq!(t.data_type("id"), &DataType::Int64);
    assert_eq!(t.values("id"), vals(&[Some("1"), Some("2"), Some("3")]));
    assert_eq!(
        t.values("name"),
        vals(&[Some("杭州"), Some("宁波"), Some("温州")])
    );
    assert_eq!(t.data_type("rate"), &DataType::Float64);
    assert_eq!(t.values("rate"), vals(&[Some("0.5"), Some("2"), None]));
    assert_eq!(t.data_type("open"), &DataType::Boolean);
    assert_eq!(t.values("open"), vals(&[Some("true"), Some("false"), None]));
    assert_eq!(t.data_type("phone"), &DataType::Utf8);
    assert_eq!(t.column("phone").findings[0].kind, PiiKind::Mobile);
    // Late keys: earlier records count as nulls; nested values are kept as JSON text.
    assert_eq!(t.values("tags"), vals(&[None, Some(r#"["a","b"]"#), None]));
    assert_eq!(t.column("tags").profile.nulls, 2);
    assert_eq!(t.values("extra"), vals(&[None, None, Some(r#"{"k":1}"#)]));
}

#[test]
fn ndjson_round_trip() {
    let ndjson = "{\"区划代码\": \"330106\", \"人口\": 1000}\n\n{\"区划代码\": \"330102\", \"人口\": 2000, \"备注\": \"上城区\"}\r\n";
    let t = ingest_ok("pop.ndjson", ndjson.as_bytes());
    assert_eq!(t.outcome.format, SourceFormat::Ndjson);
    assert_eq!(t.outcome.row_count, 2);
    assert_eq!(t.data_type("区划代码"), &DataType::Int64);
    assert_eq!(t.values("人口"), vals(&[Some("1000"), Some("2000")]));
    assert_eq!(t.values("备注"), vals(&[None, Some("上城区")]));
    let t = ingest_ok("pop.jsonl", b"{\"a\":\"0571\"}\n");
    assert_eq!(t.values("a"), vals(&[Some("0571")]));
}

#[test]
fn gbk_json_is_decoded() {
    let (bytes, _, _) = encoding_rs::GBK.encode("[{\"名称\": \"杭州市数据资源管理局\"}]");
    let t = ingest_ok("gbk.json", &bytes);
    assert_eq!(t.outcome.encoding.as_deref(), Some("GBK"));
    assert_eq!(t.values("名称"), vals(&[Some("杭州市数据资源管理局")]));
}

#[test]
fn bad_json() {
    let err = ingest_err("bad.json", br#"[{"a": 1}, {"a": ]"#, "invalid_json");
    assert!(err.to_string().contains("line 1"), "{err}");
    ingest_err("scalars.json", b"[1, 2]", "invalid_json");
    ingest_err("object.json", br#"{"a": 1}"#, "invalid_json");
    ingest_err("trailing.json", br#"[{"a": 1}] [{"a": 2}]"#, "invalid_json");
    ingest_err("not.json", b"id,name\n1,a\n", "content_mismatch");
    ingest_err("empty.json", b"[]", "no_rows");
    ingest_err("keyless.json", b"[{}, {}]", "no_rows");
    ingest_err("dup.json", br#"[{"a": 1}, {"A": 2}]"#, "duplicate_column");
    ingest_err("emptykey.json", br#"[{"": 1}]"#, "empty_column_name");

    let err = ingest_err("bad.ndjson", b"\n{\"a\": 1}\n{\"a\": 2,}\n", "invalid_json");
    assert!(err.to_string().contains("line 3"), "{err}");
    ingest_err("array.ndjson", b"[{\"a\": 1}]\n", "invalid_json");
    ingest_err("scalar.ndjson", b"{\"a\": 1}\n42\n", "invalid_json");
    ingest_err("text.ndjson", b"hello\n", "content_mismatch");
}
