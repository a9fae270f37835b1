//! "My activity" (我的参与): what a signed-in user filed, supported and said, and the answers
//! they received, in one place.

use crate::demands::{self, DemandView};
use crate::error::AppResult;
use crate::state::App;
use serde::Serialize;
use store::User;

/// Most items of each kind shown.
pub const LIMIT: i64 = 100;

/// One of the user's comments, with the demand it is on.
#[derive(Debug, Clone, Serialize)]
pub struct CommentActivity {
    /// The comment's id.
    pub id: String,
    /// The demand's id.
    pub demand_id: String,
    /// The demand's title.
    pub demand_title: String,
    /// What the user wrote.
    pub body: String,
    /// When (Unix ms).
    pub created_at: i64,
}

/// A user's participation.
#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    /// Demands the user filed, newest first, with the department's answers.
    pub filed: Vec<DemandView>,
    /// Demands the user supports, most recently supported first.
    pub supported: Vec<DemandView>,
    /// The user's comments on demands, newest first.
    pub comments: Vec<CommentActivity>,
}

/// The activity of `user`, at most [`LIMIT`] items of each kind.
pub async fn mine(app: &App, user: &User) -> AppResult<Activity> {
    let filed = demands::list(
        app,
        demands::DemandQuery {
            created_by: Some(user.id.clone()),
            sort: store::DemandSort::Newest,
            limit: LIMIT,
            ..demands::DemandQuery::default()
        },
    )
    .await?
    .demands;
    let supported = demands::views(
        app,
        app.store.list_supported_demands(&user.id, LIMIT).await?,
    )
    .await?;
    let mut comments = Vec::new();
    for c in app.store.list_user_demand_comments(&user.id, LIMIT).await? {
        let title = match app.store.get_demand(&c.demand_id).await {
            Ok(d) => d.title,
            Err(store::StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        comments.push(CommentActivity {
            id: c.id,
            demand_id: c.demand_id,
            demand_title: title,
            body: c.body,
            created_at: c.created_at,
        });
    }
    Ok(Activity {
        filed,
        supported,
        comments,
    })
}
