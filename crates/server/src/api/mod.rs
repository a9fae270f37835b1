//! The JSON API under `/api/v1`. Bearer tokens only; see [`crate::extract`].

mod accounts;
mod activities;
mod applications;
mod cleanroom;
mod consultations;
mod contribution;
pub mod data;
mod datasets;
mod demands;
pub mod feedback;
pub mod json;
pub mod openapi;
pub mod params;
mod points;
mod quality;
mod requests;
pub mod schemas;

use crate::state::SharedState;
use axum::routing::get;
use axum::Router;

/// Every `/api/v1` route.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .merge(accounts::router())
        .merge(datasets::router())
        .merge(requests::router())
        .merge(applications::router())
        .merge(data::router())
        .merge(demands::router())
        .merge(consultations::router())
        .merge(feedback::router())
        .merge(points::router())
        .merge(activities::router())
        .merge(quality::router())
        .merge(contribution::router())
        .merge(cleanroom::router())
}
