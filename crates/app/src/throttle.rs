//! Login throttling: failed sign-ins counted per account and per client address, in the store,
//! so that every server of a deployment counts the same attempts.

use std::net::IpAddr;

use crate::clock::now_ms;
use crate::error::AppResult;
use store::DynStore;

/// Refuses further sign-in attempts for a while once an account or a client address has failed
/// too often.
pub struct Throttle {
    max_failures: u32,
    window_ms: i64,
}

impl Throttle {
    /// A throttle allowing `max_failures` within 15 minutes.
    pub fn new(max_failures: u32) -> Self {
        Throttle {
            max_failures,
            window_ms: 15 * 60 * 1000,
        }
    }

    fn account(username: &str) -> String {
        format!("user:{}", username.to_lowercase())
    }

    fn address(addr: IpAddr) -> String {
        format!("addr:{addr}")
    }

    /// Starts an attempt: seconds to wait if this account or address is locked out, else counts
    /// the attempt as a failure until [`Throttle::succeed`] takes it back. The store checks and
    /// counts in one transaction, so parallel requests cannot all slip past the check before the
    /// slow password hash records their failures.
    pub async fn attempt(
        &self,
        store: &DynStore,
        username: &str,
        addr: Option<IpAddr>,
    ) -> AppResult<Option<u64>> {
        let mut keys = vec![Self::account(username)];
        keys.extend(addr.map(Self::address));
        let wait = store
            .login_attempt(&keys, self.max_failures, self.window_ms, now_ms())
            .await?;
        Ok(wait.map(|ms| (ms as u64).div_ceil(1000).max(1)))
    }

    /// Takes back the attempt of a successful login and clears the account's failures.
    pub async fn succeed(
        &self,
        store: &DynStore,
        username: &str,
        addr: Option<IpAddr>,
    ) -> AppResult<()> {
        let address = addr.map(Self::address);
        store
            .login_succeeded(&Self::account(username), address.as_deref())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn throttle_locks_after_max_failures() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("meta.db").display());
        let store = store::connect(&url).await.unwrap();
        let t = Throttle::new(3);
        let addr: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(t
                .attempt(&store, "alice", Some(addr))
                .await
                .unwrap()
                .is_none());
        }
        let wait = t.attempt(&store, "ALICE", None).await.unwrap();
        assert!(
            wait.is_some_and(|s| (1..=900).contains(&s)),
            "locked by account: {wait:?}"
        );
        assert!(
            t.attempt(&store, "bob", Some(addr))
                .await
                .unwrap()
                .is_some(),
            "locked by address"
        );
        assert!(t.attempt(&store, "bob", None).await.unwrap().is_none());
        // A success takes its attempt back.
        let t = Throttle::new(2);
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..5 {
            assert!(t
                .attempt(&store, "carol", Some(other))
                .await
                .unwrap()
                .is_none());
            t.succeed(&store, "carol", Some(other)).await.unwrap();
        }
        // Another server on the same store counts the same failures.
        let elsewhere = Throttle::new(2);
        for _ in 0..2 {
            assert!(elsewhere
                .attempt(&store, "dave", None)
                .await
                .unwrap()
                .is_none());
        }
        assert!(t.attempt(&store, "dave", None).await.unwrap().is_some());
    }
}
