//! Counts kept in memory until they are saved in one go (catalog harvests). A leaf module: the
//! running `App` holds one tally per kind of count.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// Counts by key, added to by many requests and taken whole by one flush.
#[derive(Debug)]
pub(crate) struct Tally<K>(Mutex<HashMap<K, i64>>);

impl<K> Default for Tally<K> {
    fn default() -> Self {
        Tally(Mutex::new(HashMap::new()))
    }
}

impl<K: Eq + Hash> Tally<K> {
    /// Adds one to each key.
    pub(crate) fn add_one(&self, keys: impl IntoIterator<Item = K>) {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            *counts.entry(k).or_default() += 1;
        }
    }

    /// Takes every count, leaving none.
    pub(crate) fn take(&self) -> HashMap<K, i64> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Puts back counts that could not be saved.
    pub(crate) fn put_back(&self, taken: HashMap<K, i64>) {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for (k, n) in taken {
            *counts.entry(k).or_default() += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_taken_and_put_back_add_up() {
        let t: Tally<&str> = Tally::default();
        t.add_one(["a", "b", "a"]);
        let taken = t.take();
        assert_eq!((taken["a"], taken["b"]), (2, 1));
        assert!(t.take().is_empty());
        t.add_one(["a"]);
        t.put_back(taken);
        let all = t.take();
        assert_eq!((all["a"], all["b"]), (3, 1));
    }
}
