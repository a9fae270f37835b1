//! Interoperability (DESIGN.md C14) over HTTP: the CKAN Action API, DCAT-AP, Frictionless and
//! the opening list, and Open311 GeoReport v2 for feedback. The catalog ones describe a dataset's public record ([`app::records::Record`]);
//! data they serve goes through [`app::dataservice`] like any other path.

pub mod ckan;
pub mod exports;
pub mod open311;
pub mod opening_list;

use crate::state::SharedState;
use axum::routing::get;
use axum::Router;

/// The interoperability routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .merge(ckan::router())
        .merge(open311::router())
        .route("/api/v1/opening-list", get(opening_list::opening_list))
        .route("/catalog.ttl", get(exports::catalog_ttl))
        .route("/catalog.jsonld", get(exports::catalog_jsonld))
        .route(
            "/dataset/{name}/datapackage.json",
            get(exports::datapackage),
        )
}
