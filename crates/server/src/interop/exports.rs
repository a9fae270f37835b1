//! DCAT-AP 3 (Turtle and JSON-LD) for the catalog and each dataset, and a Frictionless Data
//! Package per dataset. The application layer maps the records into the `dcat` crate's types
//! ([`app::exports`]); the `dcat` crate writes the formats. Identifiers are absolute: the
//! configured public URL, else the request's host.

use crate::api::json::ApiJson;
use crate::error::ApiResult;
use crate::extract::Caller;
use crate::state::SharedState;
use app::exports;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

/// The base URL for identifiers and links.
pub fn base_url(state: &SharedState, headers: &HeaderMap) -> String {
    match &state.config().public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    }
}

fn turtle(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/turtle; charset=utf-8")], body).into_response()
}

fn jsonld(body: serde_json::Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/ld+json")],
        body.to_string(),
    )
        .into_response()
}

/// `GET /catalog.ttl`.
pub async fn catalog_ttl(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let base = base_url(&state, &headers);
    Ok(turtle(dcat::catalog_turtle(
        &harvested(&state, &base).await?,
    )))
}

/// The DCAT-AP catalog, each of its datasets counted as harvested.
async fn harvested(state: &SharedState, base: &str) -> ApiResult<dcat::Catalog> {
    let catalog = exports::catalog(state, base).await?;
    app::harvests::count(
        state,
        app::harvests::Harvest::Dcat,
        catalog.datasets.iter().map(|d| d.identifier.as_str()),
    );
    Ok(catalog)
}

/// `GET /catalog.jsonld`.
pub async fn catalog_jsonld(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let base = base_url(&state, &headers);
    Ok(jsonld(dcat::catalog_jsonld(
        &harvested(&state, &base).await?,
    )))
}

/// `GET /dataset/{name}.ttl` or `.jsonld` (the portal's dataset route hands these here);
/// `None` when the name has neither suffix.
pub async fn dataset_document(
    state: &SharedState,
    headers: &HeaderMap,
    name: &str,
) -> Option<ApiResult<Response>> {
    let (slug, turtle_wanted) = if let Some(s) = name.strip_suffix(".ttl") {
        (s, true)
    } else if let Some(s) = name.strip_suffix(".jsonld") {
        (s, false)
    } else {
        return None;
    };
    Some(
        async {
            let doc = exports::dataset_document(state, &base_url(state, headers), slug).await?;
            app::harvests::count(state, app::harvests::Harvest::Dcat, [slug]);
            Ok(if turtle_wanted {
                turtle(dcat::dataset_turtle(&doc))
            } else {
                jsonld(dcat::dataset_jsonld(&doc))
            })
        }
        .await,
    )
}

/// `GET /dataset/{name}/datapackage.json`: a Data Package of the resources the caller may
/// download, each with a Table Schema of exactly the columns the caller may see (masked ones as
/// strings).
pub async fn datapackage(
    State(state): State<SharedState>,
    caller: Caller,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let base = base_url(&state, &headers);
    let package = exports::datapackage(&state, caller.user.as_ref(), &base, &name).await?;
    Ok(ApiJson(package).into_response())
}
