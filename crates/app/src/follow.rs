//! The catalog change feed, read: each server applies the changes recorded by every server
//! (and by commands beside them) to its own search index ([`crate::index`] records them).

use crate::index::{CatalogIndex, DATASET, DEMAND, GAP_WAIT};
use crate::state::App;
use store::DynStore;

/// Where one server's index stands in the change feed: every change up to `floor` is applied,
/// and so are those in `applied` above it.
struct Follower {
    floor: i64,
    applied: std::collections::BTreeSet<i64>,
    /// The first missing position above `floor`, and since when it has been missing.
    gap: Option<(i64, std::time::Instant)>,
}

impl Follower {
    /// Applies what is new in the feed to `index`; returns how many changes.
    async fn poll(&mut self, store: &DynStore, index: &CatalogIndex) -> store::Result<usize> {
        let mut done = 0;
        loop {
            let changes = store.catalog_changes_after(self.floor, 500).await?;
            let full = changes.len() == 500;
            for c in &changes {
                if self.applied.contains(&c.seq) {
                    continue;
                }
                if index.announced_here(c.seq) {
                    self.applied.insert(c.seq);
                    continue;
                }
                match c.kind.as_str() {
                    DATASET => index.refresh(store, &c.object_id).await,
                    DEMAND => match store.get_demand(&c.object_id).await {
                        Ok(d) => index.refresh_demand(store, &d).await,
                        Err(store::StoreError::NotFound) => {}
                        Err(e) => return Err(e),
                    },
                    other => tracing::warn!(kind = other, "unknown catalog change ignored"),
                }
                self.applied.insert(c.seq);
                done += 1;
            }
            self.advance();
            if !full {
                return Ok(done);
            }
        }
    }

    /// Moves `floor` over applied positions, and over a hole that has waited long enough.
    fn advance(&mut self) {
        loop {
            while self.applied.remove(&(self.floor + 1)) {
                self.floor += 1;
            }
            if self.applied.is_empty() {
                self.gap = None;
                return;
            }
            let hole = self.floor + 1;
            match self.gap {
                Some((at, since)) if at == hole && since.elapsed() >= GAP_WAIT => {
                    self.floor = hole;
                    self.gap = None;
                }
                Some((at, _)) if at == hole => return,
                _ => {
                    self.gap = Some((hole, std::time::Instant::now()));
                    return;
                }
            }
        }
    }
}

/// Keeps this server's search index in step with catalog changes made on any server of the
/// deployment (and by commands beside it): every `every`, the changes recorded since are applied.
/// Runs until the task is dropped; a failed read is logged and tried again.
pub async fn follow_catalog_changes(app: std::sync::Arc<App>, every: std::time::Duration) {
    let Some(index) = app.search.as_ref() else {
        return;
    };
    let mut follower = Follower {
        floor: app.feed_start,
        applied: Default::default(),
        gap: None,
    };
    let mut saved = follower.floor;
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = follower.poll(&app.store, index).await {
            tracing::warn!("catalog change feed not read: {e}");
        }
        if follower.floor != saved {
            index.save_feed_position(follower.floor);
            saved = follower.floor;
        }
    }
}

#[cfg(test)]
mod follower_tests {
    use super::*;

    #[test]
    fn the_floor_waits_for_a_hole_then_moves_on() {
        let mut f = Follower {
            floor: 10,
            applied: [11, 13, 14].into_iter().collect(),
            gap: None,
        };
        f.advance();
        assert_eq!(f.floor, 11);
        assert_eq!(f.gap.map(|g| g.0), Some(12), "12 may still commit");
        f.advance();
        assert_eq!(f.floor, 11, "not yet given up");
        // Long after, 12 never came: it was rolled back.
        f.gap = Some((12, std::time::Instant::now() - GAP_WAIT));
        f.advance();
        assert_eq!(f.floor, 14);
        assert!(f.applied.is_empty() && f.gap.is_none());
    }
}
