//! Uploads as multipart form data, shared by the API and the portal: the file streams into the
//! staging directory (refused once it passes the size limit), the other fields are kept as text.

use crate::error::{ApiError, ApiResult};
use crate::state::SharedState;
use app::catalog::StagedUpload;
use app::{AppError, Code};
use axum::extract::Multipart;
use std::collections::HashMap;
use tokio::io::AsyncWriteExt;

/// The text fields of a submitted form.
pub type FormFields = HashMap<String, String>;

/// Streams the multipart field `file` into the staging directory, refusing it once it passes
/// the size limit. Returns the staged file with the client's file name (if a file was sent) and
/// the other text fields.
pub async fn stage_multipart(
    state: &SharedState,
    multipart: &mut Multipart,
) -> ApiResult<(Option<(StagedUpload, String)>, FormFields)> {
    let limit = state.config().max_upload_bytes;
    let mut fields = FormFields::new();
    let mut staged_file = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| {
        ApiError::new(
            Code::BadRequest,
            format!("The upload is not valid multipart form data: {e}."),
        )
    })? {
        let field_name = field.name().unwrap_or_default().to_string();
        if field_name != "file" {
            // Read text fields in chunks and stop early: a huge field must not fill memory.
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| {
                ApiError::new(
                    Code::BadRequest,
                    format!("The form field `{field_name}` could not be read: {e}."),
                )
            })? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > 10_000 {
                    return Err(ApiError::new(
                        Code::BadRequest,
                        format!("The form field `{field_name}` is too long."),
                    ));
                }
            }
            let text = String::from_utf8(bytes).map_err(|_| {
                ApiError::new(
                    Code::BadRequest,
                    format!("The form field `{field_name}` is not valid UTF-8."),
                )
            })?;
            fields.insert(field_name, text);
            continue;
        }
        if staged_file.is_some() {
            return Err(ApiError::new(Code::BadRequest, "Send one file per upload."));
        }
        let file_name = field.file_name().unwrap_or_default().to_string();
        ingest::validate_file_name(&file_name).map_err(AppError::from)?;
        let staged = StagedUpload::new(state.data_dir()).map_err(ApiError::internal)?;
        let mut out = tokio::fs::File::create(staged.path())
            .await
            .map_err(ApiError::internal)?;
        let mut written: u64 = 0;
        while let Some(chunk) = field.chunk().await.map_err(|e| {
            ApiError::new(
                Code::BadRequest,
                format!("The upload was interrupted: {e}. Try again."),
            )
        })? {
            written += chunk.len() as u64;
            if written > limit {
                return Err(ApiError::new(
                    Code::PayloadTooLarge,
                    format!("The file is larger than the limit of {limit} bytes. Split it or ask the administrator to raise `max_upload_bytes`."),
                ));
            }
            out.write_all(&chunk).await.map_err(ApiError::internal)?;
        }
        out.flush().await.map_err(ApiError::internal)?;
        staged_file = Some((staged, file_name));
    }
    Ok((staged_file, fields))
}
