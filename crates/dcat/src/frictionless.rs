//! Frictionless Data Packages (`datapackage.json`, profile `tabular-data-package`, v1 specs) with
//! one tabular data resource per CSV download and a Table Schema for each.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use crate::datetime::xsd_date_time;
use crate::rdf::is_http_url;
use crate::types::{Column, Dataset};
use crate::vocab;

/// The prefix of Gongshu's own properties in a Data Package, which the specs allow as extra
/// properties on any descriptor (`gongshu:grade`, `gongshu:masked`, …).
const PREFIX: &str = "gongshu:";

/// The Data Package of a dataset: one tabular data resource per `(name, path_or_url, columns)`,
/// where `path_or_url` is where the CSV of that resource is downloaded.
///
/// The package name comes from the dataset's slug and each resource name from its given name,
/// made into valid Data Package names by [`package_name`]; a resource whose name leaves nothing
/// valid (a Chinese name) is called `resource-N`, and repeated names get a `-2`, `-3` suffix.
/// Field names are the column names as they are, Chinese included.
pub fn datapackage(dataset: &Dataset, resources: &[(String, String, Vec<Column>)]) -> Value {
    let mut package = Map::new();
    package.insert("profile".into(), json!("tabular-data-package"));
    let name = Some(package_name(&dataset.identifier))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "dataset".into());
    package.insert("name".into(), json!(name));
    if !dataset.iri.trim().is_empty() {
        package.insert("id".into(), json!(dataset.iri.trim()));
    }
    package.insert("title".into(), json!(dataset.title));
    if !dataset.description.trim().is_empty() {
        package.insert("description".into(), json!(dataset.description));
    }
    if is_http_url(&dataset.landing_page) {
        package.insert("homepage".into(), json!(dataset.landing_page.trim()));
    }
    package.insert("created".into(), json!(xsd_date_time(dataset.issued)));
    let keywords: Vec<&str> = dataset
        .keywords
        .iter()
        .chain(&dataset.themes)
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .collect();
    if !keywords.is_empty() {
        package.insert("keywords".into(), json!(keywords));
    }
    if let Some(license) = dataset
        .license
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        package.insert(
            "licenses".into(),
            json!([license_descriptor(license, dataset)]),
        );
    }
    package.insert("contributors".into(), Value::Array(contributors(dataset)));
    package.insert(format!("{PREFIX}grade"), json!(dataset.grade));
    package.insert(format!("{PREFIX}domain"), json!(dataset.domain));
    package.insert(format!("{PREFIX}openingType"), json!(dataset.access.code()));
    package.insert(
        format!("{PREFIX}modified"),
        json!(xsd_date_time(dataset.modified)),
    );
    if let Some(frequency) = dataset
        .frequency
        .as_deref()
        .filter(|f| !f.trim().is_empty())
    {
        package.insert(
            format!("{PREFIX}frequency"),
            json!(vocab::frequency(frequency)),
        );
    }

    let mut used = HashSet::new();
    let resources: Vec<Value> = resources
        .iter()
        .enumerate()
        .map(|(i, (title, path, columns))| {
            let base = Some(package_name(title))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("resource-{}", i + 1));
            let name = unique(base, &mut used);
            resource(&name, title, path, columns)
        })
        .collect();
    package.insert("resources".into(), Value::Array(resources));
    Value::Object(package)
}

fn unique(base: String, used: &mut HashSet<String>) -> String {
    let mut name = base.clone();
    let mut n = 1;
    while !used.insert(name.clone()) {
        n += 1;
        name = format!("{base}-{n}");
    }
    name
}

fn resource(name: &str, title: &str, path: &str, columns: &[Column]) -> Value {
    let fields: Vec<Value> = columns.iter().map(field).collect();
    let mut r = Map::new();
    r.insert("profile".into(), json!("tabular-data-resource"));
    r.insert("name".into(), json!(name));
    if !title.trim().is_empty() {
        r.insert("title".into(), json!(title.trim()));
    }
    r.insert("path".into(), json!(path.trim()));
    r.insert("format".into(), json!("csv"));
    r.insert("mediatype".into(), json!("text/csv"));
    r.insert("encoding".into(), json!("utf-8"));
    let mut schema = Map::new();
    schema.insert("fields".into(), Value::Array(fields));
    let key: Vec<&str> = columns
        .iter()
        .filter(|c| c.key)
        .map(|c| c.name.as_str())
        .collect();
    if !key.is_empty() {
        schema.insert("primaryKey".into(), json!(key));
    }
    r.insert("schema".into(), Value::Object(schema));
    Value::Object(r)
}

/// A Table Schema field. A masked column is a string whatever its stored type, because masking
/// turns its values into text such as `138****1234`.
fn field(column: &Column) -> Value {
    let mut f = Map::new();
    f.insert("name".into(), json!(column.name));
    let kind = if column.masked {
        "string"
    } else {
        table_schema_type(&column.data_type)
    };
    f.insert("type".into(), json!(kind));
    if let Some(description) = column
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        f.insert("description".into(), json!(description));
    }
    f.insert(format!("{PREFIX}grade"), json!(column.grade));
    f.insert(format!("{PREFIX}masked"), json!(column.masked));
    Value::Object(f)
}

/// The Table Schema type of an Arrow data type: `Int*`/`UInt*` → `integer`, `Float*`/`Decimal*`
/// → `number`, `Utf8`/`LargeUtf8`/`Utf8View` → `string`, `Boolean` → `boolean`, `Date32` →
/// `date`, `Timestamp(…)` → `datetime`, anything else → `any`.
pub fn table_schema_type(arrow_type: &str) -> &'static str {
    let t = arrow_type.trim();
    let starts = |p: &str| t.starts_with(p);
    if starts("Int") || starts("UInt") {
        "integer"
    } else if starts("Float") || starts("Decimal") {
        "number"
    } else if matches!(t, "Utf8" | "LargeUtf8" | "Utf8View") {
        "string"
    } else if t == "Boolean" {
        "boolean"
    } else if t == "Date32" {
        "date"
    } else if starts("Timestamp") {
        "datetime"
    } else {
        "any"
    }
}

/// A valid Data Package name (`^[a-z0-9._-]+$`) from a slug or a title: lower-cased, every run
/// of other characters replaced by one `-`, and `-`, `.`, `_` trimmed from the ends. The result
/// is empty when nothing valid is left (a Chinese title); callers pick a fallback.
pub fn package_name(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches(|c| matches!(c, '-' | '.' | '_'))
        .to_string()
}

/// A license descriptor: `name` must be an Open Definition identifier and `path` a URL, and one
/// of them is required; a license known by neither gets the portal's page for the dataset, where
/// its terms are shown, as its path.
fn license_descriptor(license: &str, dataset: &Dataset) -> Value {
    let known = vocab::known_license(license);
    let mut l = Map::new();
    if let Some(known) = known {
        l.insert("name".into(), json!(known.id));
        l.insert("title".into(), json!(known.title));
    } else {
        l.insert("title".into(), json!(license));
    }
    if is_http_url(license) {
        l.insert("path".into(), json!(license));
    } else if let Some(known) = known {
        l.insert("path".into(), json!(known.url));
    } else if is_http_url(&dataset.landing_page) {
        l.insert("path".into(), json!(dataset.landing_page.trim()));
    }
    Value::Object(l)
}

fn contributors(dataset: &Dataset) -> Vec<Value> {
    let mut publisher = Map::new();
    publisher.insert("title".into(), json!(dataset.publisher.name));
    publisher.insert("role".into(), json!("publisher"));
    if let Some(homepage) = dataset
        .publisher
        .homepage
        .as_deref()
        .filter(|h| is_http_url(h))
    {
        publisher.insert("path".into(), json!(homepage.trim()));
    }
    let mut out = vec![Value::Object(publisher)];
    let email = dataset
        .contact_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let name = dataset
        .contact_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if email.is_some() || name.is_some() {
        let mut contact = Map::new();
        contact.insert(
            "title".into(),
            json!(name.unwrap_or(&dataset.publisher.name)),
        );
        contact.insert("role".into(), json!("maintainer"));
        if let Some(email) = email {
            contact.insert("email".into(), json!(email.trim_start_matches("mailto:")));
        }
        contact.insert("organization".into(), json!(dataset.publisher.name));
        out.push(Value::Object(contact));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrow_types_map_to_table_schema_types() {
        let check =
            |arrow: &str, expected: &str| assert_eq!(table_schema_type(arrow), expected, "{arrow}");
        check("Int8", "integer");
        check("Int64", "integer");
        check("UInt32", "integer");
        check("Float32", "number");
        check("Float64", "number");
        check("Decimal128(10, 2)", "number");
        check("Utf8", "string");
        check("LargeUtf8", "string");
        check("Boolean", "boolean");
        check("Date32", "date");
        check("Timestamp(Microsecond, None)", "datetime");
        check("Timestamp(Millisecond, Some(\"+08:00\"))", "datetime");
        check("Binary", "any");
        check("List(Int64)", "any");
        check("", "any");
    }

    #[test]
    fn names_are_valid_data_package_names() {
        let check =
            |input: &str, expected: &str| assert_eq!(package_name(input), expected, "{input:?}");
        check("bus-ridership", "bus-ridership");
        check("Bus Ridership 2024", "bus-ridership-2024");
        check("traffic_2024.csv", "traffic_2024.csv");
        check("公交客流", "");
        check("公交客流 bus", "bus");
        check("--a//b--", "a-b");
        check("ÄBC", "bc");
        for input in ["x y", "公交-2024", "A.B_C", "...", "a\u{0}b"] {
            let name = package_name(input);
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c)),
                "{name}"
            );
        }
    }

    #[test]
    fn repeated_names_get_suffixes() {
        let mut used = HashSet::new();
        assert_eq!(unique("a".into(), &mut used), "a");
        assert_eq!(unique("a".into(), &mut used), "a-2");
        assert_eq!(unique("a".into(), &mut used), "a-3");
        assert_eq!(unique("a-2".into(), &mut used), "a-2-2");
    }
}
