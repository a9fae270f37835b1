//! The exports of the sample catalog, checked by the tools others use to read them: pyshacl with
//! the official DCAT-AP 3.0.0 shapes (when `GONGSHU_PYSHACL` names a pyshacl executable), a JSON
//! parser, and the Data Package rules that can be checked here.

mod sample;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The shapes, read from the shared fixtures (never copied into the project); the directory can
/// be overridden with `GONGSHU_DCAT_SHAPES`.
fn shapes_dir() -> PathBuf {
    std::env::var_os("GONGSHU_DCAT_SHAPES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/dcat-ap-3.0.0")
        })
}

/// A directory per test, since tests run in parallel.
fn out_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("dcat-exports")
        .join(test);
    std::fs::create_dir_all(&dir).expect("create the output directory");
    dir
}

/// The sample's documents, written to files: (file, pyshacl data format).
fn write_documents(test: &str) -> Vec<(PathBuf, &'static str)> {
    let catalog = sample::catalog();
    let dataset = &catalog.datasets[0];
    let dir = out_dir(test);
    let docs = [
        ("catalog.ttl", dcat::catalog_turtle(&catalog), "turtle"),
        (
            "catalog.jsonld",
            pretty(&dcat::catalog_jsonld(&catalog)),
            "json-ld",
        ),
        ("dataset.ttl", dcat::dataset_turtle(dataset), "turtle"),
        (
            "dataset.jsonld",
            pretty(&dcat::dataset_jsonld(dataset)),
            "json-ld",
        ),
    ];
    docs.into_iter()
        .map(|(name, text, format)| {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write the document");
            (path, format)
        })
        .collect()
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("serialize JSON")
}

/// Runs pyshacl and returns (success, stdout).
fn pyshacl(
    pyshacl: &str,
    shapes: &Path,
    data: &Path,
    format: &str,
    extra: &[&str],
) -> (bool, String) {
    let output = Command::new(pyshacl)
        .arg("-s")
        .arg(shapes)
        .args(["-df", format])
        .args(extra)
        .arg(data)
        .output()
        .unwrap_or_else(|e| panic!("run {pyshacl}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !stderr.trim().is_empty() {
        eprintln!("pyshacl stderr for {}:\n{stderr}", data.display());
    }
    (output.status.success(), stdout)
}

fn pyshacl_from_env() -> Option<String> {
    let exe = std::env::var("GONGSHU_PYSHACL")
        .ok()
        .filter(|s| !s.is_empty());
    if exe.is_none() {
        println!("skipped: set GONGSHU_PYSHACL to a pyshacl executable to validate against the DCAT-AP 3.0.0 shapes");
    }
    exe
}

#[test]
fn dcat_ap_documents_conform_to_the_official_shapes() {
    let documents = write_documents("shapes");
    let Some(exe) = pyshacl_from_env() else {
        return;
    };
    let shapes = shapes_dir().join("dcat-ap-SHACL.ttl");
    assert!(
        shapes.is_file(),
        "the DCAT-AP shapes are missing at {}",
        shapes.display()
    );
    for (path, format) in &documents {
        let (ok, report) = pyshacl(&exe, &shapes, path, format, &[]);
        let summary: Vec<&str> = report.lines().take(3).collect();
        println!("{} ({format}): {}", path.display(), summary.join(" | "));
        assert!(
            ok && report.contains("Conforms: True"),
            "{} does not conform:\n{report}",
            path.display()
        );
    }
}

/// Recommended properties the sample does not give, as (focus node, property) pairs found in
/// pyshacl's report. Gongshu's catalog record has no licence of its own, and a place given by
/// name or by a gazetteer IRI has no bounding box or centroid in the document; the rest are gaps left in the sample on purpose (no
/// keywords, no spatial coverage, an open coverage period, an unknown licence, a dataset that is
/// not open and has no distribution). Any other warning means the export drops something.
const CATALOG_WARNINGS: &[(&str, &str)] = &[
    ("<https://data.example.gov.cn/catalog>", "dct:license"),
    ("locn:geographicName", "dcat:bbox"),
    ("locn:geographicName", "dcat:centroid"),
    ("<https://www.geonames.org/1808926>", "dcat:bbox"),
    ("<https://www.geonames.org/1808926>", "dcat:centroid"),
    ("parking-occupancy#dataset>", "dcat:keyword"),
    ("parking-occupancy#dataset>", "dct:spatial"),
    ("dct:PeriodOfTime", "dcat:endDate"),
    ("dct:LicenseDocument", "dct:type"),
    ("building-permits#dataset>", "dcat:distribution"),
    ("building-permits#dataset>", "dct:temporal"),
];

/// The first dataset of the sample is complete: only the place has no bounding box or centroid.
const DATASET_WARNINGS: &[(&str, &str)] = &[
    ("locn:geographicName", "dcat:bbox"),
    ("locn:geographicName", "dcat:centroid"),
];

/// (focus node, result path) of every result in a pyshacl text report.
fn results(report: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut focus = None;
    for line in report.lines().map(str::trim) {
        if let Some(f) = line.strip_prefix("Focus Node: ") {
            focus = Some(f.to_string());
        } else if let Some(p) = line.strip_prefix("Result Path: ") {
            out.push((focus.take().unwrap_or_default(), p.to_string()));
        }
    }
    out
}

#[test]
fn recommended_properties_are_present_where_the_input_has_them() {
    let documents = write_documents("recommended");
    let Some(exe) = pyshacl_from_env() else {
        return;
    };
    let shapes = shapes_dir().join("shapes_recommended.ttl");
    assert!(
        shapes.is_file(),
        "the recommended shapes are missing at {}",
        shapes.display()
    );
    for (path, format) in &documents {
        let expected = if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("catalog")
        {
            CATALOG_WARNINGS
        } else {
            DATASET_WARNINGS
        };
        // `-w`: warnings do not make the report non-conforming; they are checked one by one.
        let (ok, report) = pyshacl(&exe, &shapes, path, format, &["-w"]);
        assert!(ok && report.contains("Conforms: True"), "{report}");
        let found = results(&report);
        let paths: BTreeSet<&str> = found.iter().map(|(_, p)| p.as_str()).collect();
        println!(
            "{} ({format}) against the recommended shapes: {} warnings, on {paths:?}",
            path.display(),
            found.len()
        );
        let unexpected: Vec<&(String, String)> = found
            .iter()
            .filter(|(focus, p)| !expected.iter().any(|(f, ep)| focus.contains(f) && p == ep))
            .collect();
        assert!(
            unexpected.is_empty(),
            "unexpected warnings {unexpected:?} in {}:\n{report}",
            path.display()
        );
        for (f, p) in expected {
            assert!(
                found.iter().any(|(focus, fp)| focus.contains(f) && fp == p),
                "expected a warning on {f} {p} in {}: has the sample changed?",
                path.display()
            );
        }
    }
}

fn assert_compact_keys(node: &Value, prefixes: &serde_json::Map<String, Value>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                if !key.starts_with('@') {
                    let (prefix, local) = key
                        .split_once(':')
                        .unwrap_or_else(|| panic!("key {key} is not a compact IRI"));
                    assert!(
                        prefixes.contains_key(prefix),
                        "prefix of {key} is not in the @context"
                    );
                    assert!(!local.is_empty());
                }
                assert_compact_keys(value, prefixes);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| assert_compact_keys(v, prefixes)),
        _ => {}
    }
}

#[test]
fn jsonld_is_json_with_the_expected_context() {
    let catalog = sample::catalog();
    for doc in [
        dcat::catalog_jsonld(&catalog),
        dcat::dataset_jsonld(&catalog.datasets[2]),
    ] {
        let text = serde_json::to_string(&doc).unwrap();
        let parsed: Value = serde_json::from_str(&text).expect("the JSON-LD parses as JSON");
        assert_eq!(parsed, doc);
        let context = parsed["@context"].as_object().expect("an @context object");
        assert_eq!(&parsed["@context"], &dcat::jsonld_context());
        for (prefix, iri) in [
            ("dcat", "http://www.w3.org/ns/dcat#"),
            ("dct", "http://purl.org/dc/terms/"),
            ("foaf", "http://xmlns.com/foaf/0.1/"),
            ("vcard", "http://www.w3.org/2006/vcard/ns#"),
            ("skos", "http://www.w3.org/2004/02/skos/core#"),
            ("xsd", "http://www.w3.org/2001/XMLSchema#"),
            ("gongshu", "https://gongshu.example/ns#"),
        ] {
            assert_eq!(
                context.get(prefix).and_then(Value::as_str),
                Some(iri),
                "@context {prefix}"
            );
        }
        let graph = parsed["@graph"].as_array().expect("an @graph array");
        assert!(!graph.is_empty());
        assert_compact_keys(&parsed["@graph"], context);
    }
    let doc = dcat::dataset_jsonld(&catalog.datasets[0]);
    let dataset = doc["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["@id"].as_str().is_some_and(|id| id.ends_with("#dataset")))
        .expect("the dataset node");
    assert_eq!(dataset["@type"], "dcat:Dataset");
    assert_eq!(
        dataset["dct:title"],
        serde_json::json!({"@value": "公交线路客流量", "@language": "zh"})
    );
    assert_eq!(
        dataset["dct:issued"],
        serde_json::json!({"@value": "2024-03-01T00:00:00Z", "@type": "xsd:dateTime"})
    );
    assert_eq!(
        dataset["dct:accessRights"]["@id"],
        "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
    );
    assert_eq!(dataset["gongshu:grade"], "L1");
    assert_eq!(
        dataset["dcat:contactPoint"]["vcard:hasEmail"]["@id"],
        "mailto:opendata@jtj.example.gov.cn"
    );
}

#[test]
fn turtle_escapes_text_from_the_records() {
    let catalog = sample::catalog();
    let ttl = dcat::dataset_turtle(&catalog.datasets[0]);
    assert!(
        ttl.contains(
            r#"按线路、按日统计的公交客流量。\n数据来源：\"一卡通\"刷卡记录 \\ 扫码乘车记录。"@zh"#
        ),
        "{ttl}"
    );
    let ttl = dcat::dataset_turtle(&catalog.datasets[2]);
    assert!(
        ttl.contains(r#"dct:title "Parking occupancy <real-time> & \"smart\" parking" ;"#),
        "{ttl}"
    );
    // The query string of a download URL is kept as is.
    let ttl = dcat::catalog_turtle(&catalog);
    assert!(ttl.contains("<https://data.example.gov.cn/api/v1/datasets/bus-ridership/resources/bus-ridership-csv/download?v=3>"));
}

#[test]
fn the_sample_passes_the_input_checks_and_broken_input_does_not() {
    let catalog = sample::catalog();
    assert_eq!(dcat::check_catalog(&catalog), Ok(()));
    let mut broken = catalog.clone();
    broken.datasets[1].landing_page = "/datasets/clinic-visits".into();
    let err = dcat::check_catalog(&broken).unwrap_err();
    assert_eq!(
        err,
        dcat::ExportError::NotAbsoluteIri {
            field: "dataset clinic-visits: landing_page".into(),
            value: "/datasets/clinic-visits".into()
        }
    );
    assert!(err.to_string().contains("not an absolute IRI"));
    let mut broken = catalog.datasets[0].clone();
    broken.description = "  ".into();
    assert!(matches!(
        dcat::check_dataset(&broken),
        Err(dcat::ExportError::Empty { .. })
    ));
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

#[test]
fn datapackage_follows_the_tabular_data_package_rules() {
    let catalog = sample::catalog();
    let bus = &catalog.datasets[0];
    let url = "https://data.example.gov.cn/api/v1/datasets/bus-ridership/resources/bus-ridership-csv/download?format=csv";
    let resources = vec![
        (
            "bus-ridership.csv".to_string(),
            url.to_string(),
            sample::bus_columns(),
        ),
        (
            "公交客流（按日）".to_string(),
            url.to_string(),
            sample::bus_columns(),
        ),
        ("公交客流（按月）".to_string(), url.to_string(), vec![]),
        ("Bus Ridership.CSV".to_string(), url.to_string(), vec![]),
        ("bus-ridership.csv".to_string(), url.to_string(), vec![]),
    ];
    let package = dcat::datapackage(bus, &resources);
    // Kept for inspection, e.g. with `frictionless validate` after pointing `path` at a file.
    std::fs::write(
        out_dir("datapackage").join("datapackage.json"),
        pretty(&package),
    )
    .unwrap();
    assert_eq!(package["profile"], "tabular-data-package");
    assert_eq!(package["name"], "bus-ridership");
    assert_eq!(package["id"], bus.iri.as_str());
    assert_eq!(package["title"], "公交线路客流量");
    assert_eq!(package["created"], "2024-03-01T00:00:00Z");
    assert_eq!(
        package["keywords"],
        serde_json::json!(["公交", "客流", "bus", "交通出行"])
    );
    assert_eq!(
        package["licenses"],
        serde_json::json!([{
            "name": "CC-BY-4.0",
            "title": "Creative Commons Attribution 4.0 International",
            "path": "https://creativecommons.org/licenses/by/4.0/"
        }])
    );
    assert_eq!(package["contributors"][0]["role"], "publisher");
    assert_eq!(
        package["contributors"][1]["email"],
        "opendata@jtj.example.gov.cn"
    );
    assert_eq!(package["gongshu:grade"], "L1");
    assert_eq!(package["gongshu:openingType"], "unconditional");

    let resources = package["resources"].as_array().unwrap();
    let names: Vec<&str> = resources
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "bus-ridership.csv",
            "resource-2",
            "resource-3",
            "bus-ridership.csv-2",
            "bus-ridership.csv-3"
        ]
    );
    assert!(names.iter().all(|n| valid_name(n)), "{names:?}");
    assert!(valid_name(package["name"].as_str().unwrap()));
    for r in resources {
        assert_eq!(r["profile"], "tabular-data-resource");
        assert_eq!(r["path"], url);
        assert_eq!(r["format"], "csv");
        assert_eq!(r["mediatype"], "text/csv");
        assert_eq!(r["encoding"], "utf-8");
        assert!(r["schema"]["fields"].is_array());
    }
    assert_eq!(resources[1]["title"], "公交客流（按日）");

    let fields = resources[0]["schema"]["fields"].as_array().unwrap();
    let types: Vec<(&str, &str)> = fields
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        types,
        [
            ("线路", "string"),
            ("日期", "date"),
            ("客流量", "integer"),
            ("平均满载率", "number"),
            ("是否节假日", "boolean"),
            ("更新时间", "datetime"),
            ("司机工号", "string"),
            ("备注", "any"),
        ]
    );
    assert_eq!(fields[6]["gongshu:masked"], true);
    assert_eq!(fields[6]["gongshu:grade"], "L3");
    // The data dictionary: descriptions on their fields, the key as the primary key.
    assert_eq!(fields[2]["description"], "当日刷卡进站人次");
    assert!(fields[0].get("description").is_none());
    assert_eq!(
        resources[0]["schema"]["primaryKey"],
        serde_json::json!(["线路", "日期"])
    );
    assert_eq!(fields[0]["gongshu:masked"], false);
    let allowed = [
        "string",
        "number",
        "integer",
        "boolean",
        "object",
        "array",
        "date",
        "time",
        "datetime",
        "year",
        "yearmonth",
        "duration",
        "geopoint",
        "geojson",
        "any",
    ];
    assert!(fields
        .iter()
        .all(|f| allowed.contains(&f["type"].as_str().unwrap())));
}

#[test]
fn datapackage_names_and_licenses_fall_back_sensibly() {
    let catalog = sample::catalog();
    let mut parking = catalog.datasets[2].clone();
    parking.identifier = "停车 Occupancy!".into();
    let package = dcat::datapackage(&parking, &[]);
    assert_eq!(package["name"], "occupancy");
    // An unknown license name: its title, and the dataset's page as the path.
    assert_eq!(
        package["licenses"],
        serde_json::json!([{
            "title": "杭州市公共数据开放授权协议",
            "path": "https://data.example.gov.cn/datasets/parking-occupancy"
        }])
    );
    assert!(
        package.get("keywords").is_some(),
        "themes count as keywords"
    );
    parking.identifier = "停车".into();
    parking.keywords.clear();
    parking.themes.clear();
    parking.license = None;
    let package = dcat::datapackage(&parking, &[]);
    assert_eq!(package["name"], "dataset");
    assert!(
        package.get("keywords").is_none(),
        "keywords must not be an empty list"
    );
    assert!(
        package.get("licenses").is_none(),
        "licenses must not be an empty list"
    );
    assert_eq!(package["resources"], serde_json::json!([]));
}
