//! Progress reporting for a CLI progress bar or an upload status page.

/// Reports bytes of the source consumed, scaled over the passes so that the reported number
/// rises steadily from 0 to the file size however many times the file is read.
pub(crate) struct Progress<'a> {
    callback: Option<&'a (dyn Fn(u64) + Sync)>,
    total: u64,
    passes: u64,
    pass: u64,
    reported: u64,
    step: u64,
}

impl<'a> Progress<'a> {
    pub(crate) fn new(callback: Option<&'a (dyn Fn(u64) + Sync)>, total: u64, passes: u64) -> Self {
        // Often enough for a smooth bar, rarely enough to cost nothing (at most ~200 calls).
        let step = (total / 200).max(64 * 1024);
        Progress {
            callback,
            total,
            passes: passes.max(1),
            pass: 0,
            reported: 0,
            step,
        }
    }

    /// Moves to pass `pass` (0-based).
    pub(crate) fn start_pass(&mut self, pass: u64) {
        self.pass = pass.min(self.passes - 1);
    }

    /// `consumed` bytes of the source have been read in the current pass.
    pub(crate) fn update(&mut self, consumed: u64) {
        let Some(callback) = self.callback else {
            return;
        };
        let within = u128::from(consumed.min(self.total));
        let overall =
            (u128::from(self.pass) * u128::from(self.total) + within) / u128::from(self.passes);
        let overall = overall as u64;
        if overall >= self.reported + self.step {
            self.reported = overall;
            callback(overall);
        }
    }

    /// The whole source has been processed.
    pub(crate) fn finish(&mut self) {
        if let Some(callback) = self.callback {
            self.reported = self.total;
            callback(self.total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn scaled_and_monotonic() {
        let seen = Mutex::new(Vec::new());
        let cb = |n: u64| seen.lock().unwrap().push(n);
        let mut p = Progress::new(Some(&cb), 10_000_000, 2);
        for i in 0..=100 {
            p.update(i * 100_000);
        }
        p.start_pass(1);
        for i in 0..=100 {
            p.update(i * 100_000);
        }
        p.finish();
        let seen = seen.into_inner().unwrap();
        assert!(seen.windows(2).all(|w| w[0] <= w[1]));
        assert!(seen.len() < 250 && seen.len() > 10, "{}", seen.len());
        assert_eq!(*seen.last().unwrap(), 10_000_000);
        assert!(seen.iter().any(|&n| (4_900_000..=5_100_000).contains(&n)));
    }
}
