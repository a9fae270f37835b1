//! What handlers share: the running platform.

use std::sync::Arc;

/// Handle passed to handlers.
pub type SharedState = Arc<app::App>;
