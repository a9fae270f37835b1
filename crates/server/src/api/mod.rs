//! The JSON API under `/api/v1`. Bearer tokens only; see [`crate::auth`].

mod accounts;
mod applications;
pub mod data;
mod datasets;
pub mod openapi;
mod requests;

pub use datasets::{find_resource, load as load_dataset, stage_multipart};

use crate::error::ApiError;
use crate::state::SharedState;
use axum::extract::FromRequest;
use axum::routing::get;
use axum::Router;
use serde::Serialize;

/// JSON body extractor whose rejections use the API's error body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: Serialize> axum::response::IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Every `/api/v1` route.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .merge(accounts::router())
        .merge(datasets::router())
        .merge(requests::router())
        .merge(applications::router())
        .merge(data::router())
}

/// The answer for a path under `/api/` that no route matches.
pub fn not_found() -> ApiError {
    ApiError::new(
        crate::error::Code::NotFound,
        "There is no such API endpoint. See the API documentation for the available ones.",
    )
}
