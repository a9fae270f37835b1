//! CSV and TSV: types, values, encodings, profiles and personal-information findings.

use crate::support::{citizen_id, days, ingest_ok, vals, Scene};
use arrow_schema::{DataType, TimeUnit};
use ingest::{IngestRequest, Limits, SourceFormat};
use model::pii::PiiKind;
use model::Grade;
use std::sync::Mutex;

#[test]
fn csv_types_values_and_profile() {
    let csv = "id,price,active,day,at,city,area_code,note\n\
               1,12.5,true,2024-01-02,2024-01-02 08:30:00,杭州,0571,\n\
               2,3,FALSE,2023-12-31,2024-01-03T09:00:00,宁波,0574,x\n\
               3,,true,,2024-01-04 10:00,  温州  ,0577,\n";
    let t = ingest_ok("data.csv", csv.as_bytes());
    assert_eq!(t.outcome.format, SourceFormat::Csv);
    assert_eq!(t.outcome.encoding.as_deref(), Some("UTF-8"));
    assert_eq!(t.outcome.row_count, 3);

    assert_eq!(t.data_type("id"), &DataType::Int64);
    assert_eq!(t.data_type("price"), &DataType::Float64);
    assert_eq!(t.data_type("active"), &DataType::Boolean);
    assert_eq!(t.data_type("day"), &DataType::Date32);
    assert_eq!(
        t.data_type("at"),
        &DataType::Timestamp(TimeUnit::Microsecond, None)
    );
    assert_eq!(t.data_type("city"), &DataType::Utf8);
    assert_eq!(t.data_type("area_code"), &DataType::Utf8);

    assert_eq!(t.values("id"), vals(&[Some("1"), Some("2"), Some("3")]));
    assert_eq!(t.values("price"), vals(&[Some("12.5"), Some("3"), None]));
    assert_eq!(
        t.values("active"),
        vals(&[Some("true"), Some("false"), Some("true")])
    );
    let d1 = days("2024-01-02");
    let d2 = days("2023-12-31");
    assert_eq!(t.values("day"), vals(&[Some(&d1), Some(&d2), None]));
    let jan4_10am = (days("2024-01-04").parse::<i64>().unwrap() * 86_400 + 10 * 3600) * 1_000_000;
    assert_eq!(t.values("at")[2], Some(jan4_10am.to_string()));
    assert_eq!(
        t.values("city"),
        vals(&[Some("杭州"), Some("宁波"), Some("温州")])
    );
    assert_eq!(
        t.values("area_code"),
        vals(&[Some("0571"), Some("0574"), Some("0577")])
    );
    assert_eq!(t.values("note"), vals(&[None, Some("x"), None]));

    let codes: Vec<&str> = t
        .outcome
        .columns
        .iter()
        .map(|c| c.data_type.as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "int64",
            "float64",
            "boolean",
            "date",
            "timestamp",
            "string",
            "string",
            "string"
        ]
    );

    let id = &t.column("id").profile;
    assert_eq!((id.count, id.nulls, id.distinct_estimate), (3, 0, 3));
    assert_eq!(
        (id.min.as_deref(), id.max.as_deref()),
        (Some("1"), Some("3"))
    );
    let price = &t.column("price").profile;
    assert_eq!(price.nulls, 1);
    assert!((price.null_rate - 1.0 / 3.0).abs() < 1e-9);
    // Compared as numbers: 3 < 12.5, although "12.5" < "3" as text.
    assert_eq!(
        (price.min.as_deref(), price.max.as_deref()),
        (Some("3"), Some("12.5"))
    );
    let day = &t.column("day").profile;
    assert_eq!(
        (day.min.as_deref(), day.max.as_deref()),
        (Some("2023-12-31"), Some("2024-01-02"))
    );
    let at = &t.column("at").profile;
    assert_eq!(at.max.as_deref(), Some("2024-01-04 10:00:00"));
    let city = &t.column("city").profile;
    assert_eq!(city.top_values.len(), 3);
    assert!(city.top_values.contains(&("温州".to_string(), 1)));
    for c in &t.outcome.columns {
        assert!(c.findings.is_empty(), "{}: {:?}", c.name, c.findings);
        assert_eq!(c.proposed_grade, Grade::L1);
    }
}

#[test]
fn top_values_are_counted() {
    let mut csv = String::from("city,n\n");
    for (city, times) in [("杭州", 5), ("宁波", 3), ("温州", 1)] {
        for i in 0..times {
            csv.push_str(&format!("{city},{i}\n"));
        }
    }
    let t = ingest_ok("cities.csv", csv.as_bytes());
    let p = &t.column("city").profile;
    assert_eq!(
        p.top_values,
        vec![("杭州".into(), 5), ("宁波".into(), 3), ("温州".into(), 1)]
    );
    assert_eq!(p.distinct_estimate, 3);
}

#[test]
fn identifiers_stay_strings_and_are_found() {
    let mut csv = String::from("身份证号,手机号码,银行卡号,数量,邮编\n");
    for i in 0..20u32 {
        let id = citizen_id(
            "330106",
            &format!("1990{:02}{:02}", i % 12 + 1, i + 1),
            100 + i,
        );
        csv.push_str(&format!(
            "{id},1{}{:09},6222020200112233{:03},{i},310012\n",
            3 + i % 7,
            12_345_000 + i,
            i
        ));
    }
    let t = ingest_ok("people.csv", csv.as_bytes());
    for name in ["身份证号", "手机号码", "银行卡号"] {
        assert_eq!(t.data_type(name), &DataType::Utf8, "{name}");
        assert_eq!(t.column(name).data_type, "string");
    }
    assert_eq!(t.data_type("数量"), &DataType::Int64);
    let ids = t.values("身份证号");
    assert_eq!(ids.len(), 20);
    assert!(ids
        .iter()
        .all(|v| v.as_deref().is_some_and(|s| s.len() == 18)));
    assert_eq!(t.values("邮编")[0].as_deref(), Some("310012"));

    let id = t.column("身份证号");
    assert_eq!(id.findings[0].kind, PiiKind::CitizenId);
    assert_eq!(id.findings[0].matches, 20);
    assert_eq!(id.proposed_grade, Grade::L4);
    let mobile = t.column("手机号码");
    assert_eq!(mobile.findings[0].kind, PiiKind::Mobile);
    assert_eq!(mobile.proposed_grade, Grade::L3);
    assert_eq!(t.column("数量").proposed_grade, Grade::L1);
    assert!(t.column("数量").findings.is_empty());
}

#[test]
fn a_name_column_is_found_by_its_values_under_a_neutral_header() {
    // The same names under a header that says nothing (c03) and one that says 姓名: both are
    // name columns graded L3; a column of districts beside them is not.
    let surnames = ["王", "李", "张", "欧阳", "刘"];
    let given = ["伟", "秀英", "敏", "子轩", "洋", "静", "杰", "娜"];
    let districts = ["西湖区", "上城区", "拱墅区", "滨江区"];
    let mut csv = String::from("c03,姓名,col_7\n");
    for i in 0..40 {
        let name = format!("{}{}", surnames[i / 8], given[i % 8]);
        csv.push_str(&format!(
            "{name},{name},{}\n",
            districts[i % districts.len()]
        ));
    }
    let t = ingest_ok("staff.csv", csv.as_bytes());
    for column in ["c03", "姓名"] {
        let c = t.column(column);
        assert_eq!(c.findings[0].kind, PiiKind::PersonName, "{column}");
        assert_eq!(c.findings[0].matches, 40, "{column}");
        assert_eq!(c.proposed_grade, Grade::L3, "{column}");
    }
    assert!(t.column("col_7").findings.is_empty());
    assert_eq!(t.column("col_7").proposed_grade, Grade::L1);
}

#[test]
fn citizen_ids_ending_in_x_stay_strings() {
    // A column where every ID happens to end in a digit must still not become a number.
    let x = "11010519491231002X";
    let csv = format!("证件号码\n{x}\n110105194912310029\n");
    let t = ingest_ok("ids.csv", csv.as_bytes());
    assert_eq!(
        t.values("证件号码"),
        vals(&[Some(x), Some("110105194912310029")])
    );
    let digits_only = format!("证件号码\n{}\n", citizen_id("330106", "19900101", 123));
    let t = ingest_ok("ids.csv", digits_only.as_bytes());
    assert_eq!(t.data_type("证件号码"), &DataType::Utf8);
}

#[test]
fn bom_is_stripped_from_the_first_header() {
    let t = ingest_ok("bom.csv", "\u{feff}编号,名称\n1,一\n".as_bytes());
    assert_eq!(t.outcome.columns[0].name, "编号");
    assert_eq!(t.schema.field(0).name(), "编号");
    assert_eq!(t.outcome.encoding.as_deref(), Some("UTF-8"));
}

#[test]
fn gbk_is_detected_and_decoded() {
    let text = "单位名称,地址,人数\n杭州市西湖区人民政府,浙江省杭州市西湖区文三路100号,120\n宁波市统计局,浙江省宁波市鄞州区宁穿路2001号,85\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "the test input must not be valid UTF-8"
    );
    let t = ingest_ok("gbk.csv", &gbk);
    assert_eq!(t.outcome.encoding.as_deref(), Some("GBK"));
    assert_eq!(
        t.outcome
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["单位名称", "地址", "人数"]
    );
    assert_eq!(
        t.values("单位名称"),
        vals(&[Some("杭州市西湖区人民政府"), Some("宁波市统计局")])
    );
    assert_eq!(t.values("人数"), vals(&[Some("120"), Some("85")]));
    assert_eq!(t.column("地址").findings[0].kind, PiiKind::Address);
}

#[test]
fn gb18030_is_reported() {
    let text = "姓名,备注\n张三,𠮷野家\n李四,无\n";
    let (bytes, _, _) = encoding_rs::GB18030.encode(text);
    let t = ingest_ok("gb18030.csv", &bytes);
    assert_eq!(t.outcome.encoding.as_deref(), Some("GB18030"));
    assert_eq!(t.values("备注"), vals(&[Some("𠮷野家"), Some("无")]));
}

#[test]
fn tsv_with_quotes_and_utf16() {
    let tsv = "名称\t说明\t数量\n甲\t\"含\t制表符\"\t1\n乙\t5\" 屏幕\t2\n";
    let t = ingest_ok("data.tsv", tsv.as_bytes());
    assert_eq!(t.outcome.format, SourceFormat::Tsv);
    assert_eq!(
        t.values("说明"),
        vals(&[Some("含\t制表符"), Some("5\" 屏幕")])
    );
    assert_eq!(t.data_type("数量"), &DataType::Int64);

    // Excel's "Unicode text" export: UTF-16LE with a byte-order mark, tab-separated.
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "名称\t数量\n甲\t1\n".encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let t = ingest_ok("excel.tsv", &utf16);
    assert_eq!(t.outcome.encoding.as_deref(), Some("UTF-16LE"));
    assert_eq!(t.values("名称"), vals(&[Some("甲")]));
}

#[test]
fn quoted_fields_blank_rows_and_empty_columns() {
    let csv = "a,b,c\r\n\"x, y\",\"line 1\nline 2\",\r\n\r\n,,\r\n\"say \"\"hi\"\"\",2,\r\n";
    let t = ingest_ok("q.csv", csv.as_bytes());
    assert_eq!(t.outcome.row_count, 2, "blank rows are skipped");
    assert_eq!(t.values("a"), vals(&[Some("x, y"), Some("say \"hi\"")]));
    assert_eq!(t.values("b"), vals(&[Some("line 1\nline 2"), Some("2")]));
    // An all-empty column is a string column of nulls.
    assert_eq!(t.data_type("c"), &DataType::Utf8);
    assert_eq!(t.values("c"), vals(&[None, None]));
    assert_eq!(t.column("c").profile.null_rate, 1.0);
    assert_eq!(t.column("c").profile.min, None);
}

#[test]
fn mixed_columns_fall_back_to_the_widest_type() {
    let csv = "n,f,d,t\n1,1,2024-01-01,2024-01-01\n2,2.5,2024-01-02,2024-01-02 12:00:00\nthree,3,not a date,2024-01-03T00:00:00\n";
    let t = ingest_ok("m.csv", csv.as_bytes());
    assert_eq!(t.data_type("n"), &DataType::Utf8);
    assert_eq!(t.data_type("f"), &DataType::Float64);
    assert_eq!(t.values("f"), vals(&[Some("1"), Some("2.5"), Some("3")]));
    assert_eq!(t.data_type("d"), &DataType::Utf8);
    assert_eq!(
        t.data_type("t"),
        &DataType::Timestamp(TimeUnit::Microsecond, None)
    );
}

#[test]
fn timestamps_with_offsets_are_stored_in_utc() {
    let csv = "at\n2024-01-01T08:00:00+08:00\n2024-01-01T00:30:00Z\n";
    let t = ingest_ok("utc.csv", csv.as_bytes());
    assert_eq!(
        t.data_type("at"),
        &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    let midnight = days("2024-01-01").parse::<i64>().unwrap() * 86_400_000_000;
    assert_eq!(t.values("at")[0], Some(midnight.to_string()));
    assert_eq!(
        t.column("at").profile.max.as_deref(),
        Some("2024-01-01 00:30:00Z")
    );
}

#[test]
fn streams_a_large_file() {
    const ROWS: u64 = 200_000;
    let mut csv = String::with_capacity(10 << 20);
    csv.push_str("id,name,amount,day,phone\n");
    for i in 0..ROWS {
        csv.push_str(&format!(
            "{i},name{},{}.5,2024-01-{:02},1380000{:04}\n",
            i % 1000,
            i % 5000,
            i % 28 + 1,
            i % 10_000
        ));
    }
    let scene = Scene::new();
    let source = scene.upload(csv.as_bytes());
    let dest = scene.dest();
    let seen = Mutex::new(Vec::new());
    let progress = |n: u64| seen.lock().unwrap().push(n);
    let limits = Limits::default();
    let outcome = ingest::ingest_file(IngestRequest {
        source: &source,
        file_name: "big.csv",
        dest: &dest,
        limits: &limits,
        progress: Some(&progress),
        key: &[],
        sort_by: None,
    })
    .unwrap();
    assert_eq!(outcome.row_count, ROWS);
    crate::support::check_published(&scene, &outcome);
    let (_, batches) = crate::support::read_parquet(&dest);
    assert_eq!(
        batches.iter().map(|b| b.num_rows() as u64).sum::<u64>(),
        ROWS
    );
    assert!(batches.len() > 1, "written in several batches");

    let id = &outcome.columns[0].profile;
    assert_eq!(
        (id.min.as_deref(), id.max.as_deref()),
        (Some("0"), Some("199999"))
    );
    let err = (id.distinct_estimate as f64 - ROWS as f64).abs() / ROWS as f64;
    assert!(
        err < 0.05,
        "distinct estimate {} for {ROWS}",
        id.distinct_estimate
    );
    let name = &outcome.columns[1].profile;
    assert!(
        (950..=1050).contains(&name.distinct_estimate),
        "{}",
        name.distinct_estimate
    );
    assert_eq!(name.top_values.len(), 10);
    assert_eq!(outcome.columns[4].findings[0].kind, PiiKind::Mobile);

    let seen = seen.into_inner().unwrap();
    assert!(seen.len() >= 10, "progress reported {} times", seen.len());
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "progress is monotonic"
    );
    assert_eq!(*seen.last().unwrap(), csv.len() as u64);
}

#[test]
fn quality_measures_come_from_the_same_pass() {
    // 30 rows: rows 10..13 repeat rows 0..3 exactly (3 duplicates); `amount` is a number column
    // with two placeholders, `day` a date column with one impossible date, `note` free text.
    let mut csv = String::from("id,amount,day,note\n");
    for i in 0..30u32 {
        let k = if (10..13).contains(&i) { i - 10 } else { i };
        let amount = match k {
            5 => "N/A".to_string(),
            7 => "待定".to_string(),
            _ => format!("{}.5", k * 10),
        };
        let day = if k == 8 {
            "2024-13-45".to_string()
        } else {
            format!("2024-01-{:02}", k % 28 + 1)
        };
        csv.push_str(&format!("{k},{amount},{day},第{k}条说明\n"));
    }
    let t = ingest_ok("measures.csv", csv.as_bytes());
    assert_eq!(t.outcome.row_count, 30);
    assert_eq!(
        (
            t.outcome.rows_checked_for_duplicates,
            t.outcome.duplicate_rows
        ),
        (30, 3)
    );
    let amount = &t.column("amount").profile;
    assert_eq!(
        (amount.expected_type.as_deref(), amount.invalid),
        (Some("number"), 2)
    );
    let day = &t.column("day").profile;
    assert_eq!(
        (day.expected_type.as_deref(), day.invalid),
        (Some("date"), 1)
    );
    // Typed columns and free text have no invalid cells.
    assert_eq!(
        (
            t.column("id").profile.expected_type.as_deref(),
            t.column("id").profile.invalid
        ),
        (None, 0)
    );
    assert_eq!(t.column("note").profile.invalid, 0);

    // A Parquet upload counts its duplicates the same way.
    let mut bytes = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut bytes, t.schema.clone(), None).unwrap();
    for b in &t.batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
    let p = ingest_ok("measures.parquet", &bytes);
    assert_eq!(
        (
            p.outcome.rows_checked_for_duplicates,
            p.outcome.duplicate_rows
        ),
        (30, 3)
    );
}

#[test]
fn a_declared_key_counts_its_repeats_and_gaps_in_csv_and_parquet() {
    // Key (station, day): rows 3 and 4 repeat row 1's key with other counts, row 5 is row 1
    // again (a duplicate row, and so a repeated key), row 6 has no station.
    let csv = "station,day,count\n\
               S1,2024-01-01,10\n\
               S2,2024-01-01,11\n\
               S1,2024-01-01,12\n\
               S1,2024-01-01,13\n\
               S1,2024-01-01,10\n\
               ,2024-01-02,14\n\
               S1,2024-01-02,15\n";
    let key = ["station".to_string(), "day".to_string()];
    let ws = Scene::new();
    let out = ws
        .ingest_keyed("keyed.csv", csv.as_bytes(), &Limits::default(), &key)
        .unwrap();
    assert_eq!(out.key, key);
    assert_eq!(
        (out.duplicate_rows, out.duplicate_keys, out.empty_keys),
        (1, 3, 1)
    );
    // Without a key, or with a key naming a column the data lacks, only rows are counted.
    let out = ws
        .ingest_keyed("keyed.csv", csv.as_bytes(), &Limits::default(), &[])
        .unwrap();
    assert_eq!((out.duplicate_keys, out.empty_keys), (0, 0));
    let missing = ["station".to_string(), "区县".to_string()];
    let out = ws
        .ingest_keyed("keyed.csv", csv.as_bytes(), &Limits::default(), &missing)
        .unwrap();
    assert!(out.key.is_empty());
    assert_eq!((out.duplicate_rows, out.duplicate_keys), (1, 0));

    // A Parquet upload of the same rows counts the same.
    let t = ingest_ok("keyed.csv", csv.as_bytes());
    let mut bytes = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut bytes, t.schema.clone(), None).unwrap();
    for b in &t.batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
    let out = ws
        .ingest_keyed("keyed.parquet", &bytes, &Limits::default(), &key)
        .unwrap();
    assert_eq!(
        (out.duplicate_rows, out.duplicate_keys, out.empty_keys),
        (1, 3, 1)
    );
}
