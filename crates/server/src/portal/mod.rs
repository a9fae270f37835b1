//! The server-rendered portal (C13). Works without JavaScript: every action is a form, every form
//! carries the session's CSRF token, and every page is in Chinese and English.

mod access;
mod account;
mod activity;
mod campaigns;
mod charts;
mod cleanroom;
mod consultations;
mod contribution;
mod datasets;
mod demand_stats;
mod demands;
mod feedback;
mod log;
pub mod page;
mod pages;
mod points;
mod quality;
mod search;

use crate::state::SharedState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

pub use page::not_found;

/// Every portal route.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/static/style.css", get(stylesheet))
        .merge(account::router())
        .merge(datasets::router())
        .merge(demands::router())
        .merge(activity::router())
        .merge(consultations::router())
        .merge(feedback::router())
        .merge(points::router())
        .merge(campaigns::router())
        .merge(quality::router())
        .merge(contribution::router())
        .merge(cleanroom::router())
        .merge(demand_stats::router())
        .merge(access::router())
        .merge(log::router())
        .merge(search::router())
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/style.css"),
    )
}
