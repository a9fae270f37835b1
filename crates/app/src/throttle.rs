//! Login throttling: failed sign-ins counted per account and per client address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts failed logins per account and per client address, and refuses further attempts for a
/// while once a key has failed too often.
pub struct Throttle {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Throttle {
    /// A throttle allowing `max_failures` within 15 minutes.
    pub fn new(max_failures: u32) -> Self {
        Throttle {
            max_failures,
            window: Duration::from_secs(15 * 60),
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(username: &str, addr: Option<IpAddr>) -> Vec<String> {
        let mut keys = vec![format!("user:{}", username.to_lowercase())];
        if let Some(a) = addr {
            keys.push(format!("addr:{a}"));
        }
        keys
    }

    /// Starts an attempt: seconds to wait if this account or address is locked out, else counts
    /// the attempt as a failure until [`Throttle::succeed`] takes it back. Checking and counting
    /// under one lock means parallel requests cannot all slip past the check before the slow
    /// password hash records their failures.
    pub fn attempt(&self, username: &str, addr: Option<IpAddr>) -> Option<u64> {
        let mut map = self.failures.lock().expect("throttle lock");
        // Forget stale entries so the map cannot grow without bound under a spray of names.
        let window = self.window;
        map.retain(|_, (_, since)| since.elapsed() < window);
        let keys = Self::keys(username, addr);
        let locked = keys.iter().find_map(|k| {
            let (count, since) = map.get(k)?;
            (*count >= self.max_failures).then(|| (window - since.elapsed()).as_secs().max(1))
        });
        if locked.is_none() {
            for k in keys {
                map.entry(k).or_insert((0, Instant::now())).0 += 1;
            }
        }
        locked
    }

    /// Takes back the attempt of a successful login and clears the account's failures.
    pub fn succeed(&self, username: &str, addr: Option<IpAddr>) {
        let mut map = self.failures.lock().expect("throttle lock");
        map.remove(&format!("user:{}", username.to_lowercase()));
        if let Some(a) = addr {
            if let Some(entry) = map.get_mut(&format!("addr:{a}")) {
                entry.0 = entry.0.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_locks_after_max_failures() {
        let t = Throttle::new(3);
        let addr: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(t.attempt("alice", Some(addr)).is_none());
        }
        assert!(t.attempt("ALICE", None).is_some(), "locked by account");
        assert!(t.attempt("bob", Some(addr)).is_some(), "locked by address");
        assert!(t.attempt("bob", None).is_none());
        // A success takes its attempt back.
        let t = Throttle::new(2);
        for _ in 0..5 {
            assert!(t.attempt("carol", Some(addr)).is_none());
            t.succeed("carol", Some(addr));
        }
    }
}
