//! Catalog exports for other catalogs and tools (DESIGN.md C14): DCAT-AP 3 in Turtle and JSON-LD
//! for the catalog and for each dataset, and a Frictionless Data Package for each dataset.
//!
//! The crate is pure: records in, strings and JSON values out, no I/O and no async.
//! The server maps its records into [`Catalog`], [`Dataset`], [`Distribution`] and [`Column`].
//!
//! # DCAT-AP
//!
//! [`catalog_turtle`], [`catalog_jsonld`], [`dataset_turtle`] and [`dataset_jsonld`] build one RDF
//! graph and write it as Turtle or as JSON-LD (`@context` with the prefixes below, and `@graph`).
//! A dataset document stands on its own: it describes its publisher, contact point,
//! distributions and every vocabulary concept it uses, typed with the classes DCAT-AP 3 expects,
//! so that it validates against the DCAT-AP 3.0.0 SHACL shapes without fetching anything.
//!
//! The mappings (see [`vocab`]):
//! - opening type → `dct:accessRights` in the EU access-right vocabulary: 无条件开放 `PUBLIC`,
//!   有条件开放 `RESTRICTED`, 不予开放 `NON_PUBLIC`;
//! - update frequency (free text, Chinese or English) → `dct:accrualPeriodicity` in the EU
//!   frequency vocabulary, `UNKNOWN` for text that names no frequency;
//! - format → `dct:format` in the EU file-type vocabulary, media type → `dcat:mediaType` as an
//!   IANA IRI; each is derived from the other when only one is given;
//! - each theme → a `dcat:theme` concept of the platform's own scheme `{origin}/themes` with the
//!   Chinese name as `skos:prefLabel`, plus the EU data theme where one clearly fits
//!   (交通出行 `TRAN`, 医疗卫生 `HEAL`, …); the catalog lists both schemes as `dcat:themeTaxonomy`;
//! - publisher → `foaf:Agent` with `foaf:name` and an ADMS publisher type as `dct:type`;
//! - contact → `vcard:Kind` with `vcard:fn` and a `mailto:` `vcard:hasEmail`;
//! - license → on each distribution (where DCAT-AP puts it), as the given URL, the EU licence IRI
//!   for a known name, or a `dct:LicenseDocument` labelled with an unknown name;
//! - times → `xsd:dateTime` in UTC; temporal coverage bounds → `xsd:date`, `xsd:gYearMonth`,
//!   `xsd:gYear` or `xsd:dateTime` as written;
//! - text → `@zh` when it contains Chinese characters; the catalog's `_zh`/`_en` fields are tagged
//!   `@zh`/`@en`.
//!
//! # The Gongshu namespace
//!
//! What DCAT-AP has no term for is written in `https://gongshu.example/ns#` (prefix `gongshu:`,
//! [`vocab::GONGSHU_NS`]), as plain literals:
//! - `gongshu:grade` on a dataset: its grade (分级), `L1` to `L4`;
//! - `gongshu:domain` on a dataset: its domain (数据域), `government`, `enterprise` or `personal`;
//! - `gongshu:openingType` on a dataset: its opening type (开放属性), `unconditional`,
//!   `conditional` or `not_open`, the codes of the model crate;
//! - `gongshu:agentKind` on an agent: `department`, `enterprise` or `authority`.
//!
//! # Frictionless
//!
//! [`datapackage`] writes a `tabular-data-package` whose resources are CSV downloads with a Table
//! Schema each. Gongshu's properties appear as extra keys with the `gongshu:` prefix: `grade`
//! and `masked` on each field; `grade`, `domain`, `openingType`, `modified` and `frequency` on
//! the package.
//!
//! # IRIs
//!
//! Give a dataset an IRI that names the dataset, distinct from its page on the portal (for
//! example `{base}/datasets/{slug}#dataset` with the landing page `{base}/datasets/{slug}`):
//! the landing page is typed `foaf:Document`, so a shared IRI would make the dataset a document
//! too. Theme concepts are minted under the origin of the dataset IRI, as `{origin}/themes/{name}`.
//!
//! # Invalid input
//!
//! The exports never fail: a relative IRI for a resource becomes a blank node, a relative link
//! is left out, a malformed checksum or a negative size is dropped. [`check_catalog`] and
//! [`check_dataset`] report such problems as an [`ExportError`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod check;
mod datetime;
mod export;
mod frictionless;
mod rdf;
mod types;
pub mod vocab;

pub use check::{check_catalog, check_dataset, ExportError};
pub use export::{catalog_jsonld, catalog_turtle, dataset_jsonld, dataset_turtle};
pub use frictionless::{datapackage, package_name, table_schema_type};
pub use types::{Access, Agent, AgentKind, Catalog, Column, Dataset, Distribution};

/// The JSON-LD `@context` every document of this crate uses: one prefix per vocabulary
/// (`dcat`, `dct`, `foaf`, `vcard`, `skos`, `spdx`, `locn`, `dcatap`, `rdf`, `rdfs`, `xsd`,
/// `gongshu`).
pub fn jsonld_context() -> serde_json::Value {
    rdf::jsonld_context()
}
