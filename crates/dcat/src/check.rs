//! Checks of the input that the exports themselves do not fail on.
//!
//! The exports always produce well-formed documents: a relative IRI becomes a blank node or is
//! left out, a malformed checksum is dropped. Those are data errors all the same, and the server
//! can call [`check_catalog`] or [`check_dataset`] to report them (for example in a health check
//! or when a dataset is published) instead of exporting a degraded description.

use crate::rdf::is_absolute_iri;
use crate::types::{Agent, Catalog, Dataset};

/// A problem in the input that makes an export less complete than it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// A field that must hold an absolute IRI does not.
    #[error("{field} is `{value}`, which is not an absolute IRI; configure the public base URL so that it starts with https:// or http://.")]
    NotAbsoluteIri {
        /// Where the value is, e.g. `dataset bus: landing_page`.
        field: String,
        /// The value found.
        value: String,
    },
    /// A field DCAT-AP requires is empty.
    #[error("{field} is empty; DCAT-AP requires it, so fill it in before publishing.")]
    Empty {
        /// Where the value is, e.g. `dataset bus: description`.
        field: String,
    },
}

fn iri(field: impl FnOnce() -> String, value: &str) -> Result<(), ExportError> {
    if is_absolute_iri(value) {
        Ok(())
    } else {
        Err(ExportError::NotAbsoluteIri {
            field: field(),
            value: value.to_string(),
        })
    }
}

fn nonempty(field: impl FnOnce() -> String, value: &str) -> Result<(), ExportError> {
    if value.trim().is_empty() {
        Err(ExportError::Empty { field: field() })
    } else {
        Ok(())
    }
}

fn check_agent(owner: &str, agent: &Agent) -> Result<(), ExportError> {
    iri(|| format!("{owner}: publisher iri"), &agent.iri)?;
    nonempty(|| format!("{owner}: publisher name"), &agent.name)?;
    if let Some(homepage) = &agent.homepage {
        iri(|| format!("{owner}: publisher homepage"), homepage)?;
    }
    Ok(())
}

/// Checks the catalog and every dataset in it; the first problem found is returned.
pub fn check_catalog(catalog: &Catalog) -> Result<(), ExportError> {
    iri(|| "catalog: iri".into(), &catalog.iri)?;
    iri(|| "catalog: homepage".into(), &catalog.homepage)?;
    nonempty(|| "catalog: title_zh".into(), &catalog.title_zh)?;
    nonempty(|| "catalog: description_zh".into(), &catalog.description_zh)?;
    check_agent("catalog", &catalog.publisher)?;
    catalog.datasets.iter().try_for_each(check_dataset)
}

/// Checks one dataset and its distributions; the first problem found is returned.
pub fn check_dataset(dataset: &Dataset) -> Result<(), ExportError> {
    let owner = format!("dataset {}", dataset.identifier);
    iri(|| format!("{owner}: iri"), &dataset.iri)?;
    nonempty(|| format!("{owner}: identifier"), &dataset.identifier)?;
    nonempty(|| format!("{owner}: title"), &dataset.title)?;
    nonempty(|| format!("{owner}: description"), &dataset.description)?;
    iri(|| format!("{owner}: landing_page"), &dataset.landing_page)?;
    check_agent(&owner, &dataset.publisher)?;
    for (i, dist) in dataset.distributions.iter().enumerate() {
        iri(|| format!("{owner}: distribution {i} iri"), &dist.iri)?;
        iri(
            || format!("{owner}: distribution {i} access_url"),
            &dist.access_url,
        )?;
        if let Some(url) = &dist.download_url {
            iri(|| format!("{owner}: distribution {i} download_url"), url)?;
        }
    }
    Ok(())
}
