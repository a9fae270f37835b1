//! The JSON body extractor and responder of the API.

use crate::error::ApiError;
use axum::extract::FromRequest;
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
