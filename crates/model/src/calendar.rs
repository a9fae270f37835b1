//! Days as the platform counts them: in China Standard Time (UTC+8), from Unix milliseconds.
//! Quotas renew and deadlines fall at midnight in Beijing, wherever the server runs.

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
/// China Standard Time is UTC+8, without daylight saving.
pub const CST_OFFSET_MS: i64 = 8 * 3_600_000;

/// The day (days since 1970-01-01 in China Standard Time) of a Unix-millisecond time.
pub fn cst_day(ms: i64) -> i64 {
    (ms + CST_OFFSET_MS).div_euclid(DAY_MS)
}

/// The Unix-millisecond time at which a China Standard Time day begins.
pub fn cst_day_start(day: i64) -> i64 {
    day * DAY_MS - CST_OFFSET_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_turn_at_midnight_in_china() {
        // 1970-01-01T16:00:00Z is midnight of 1970-01-02 in UTC+8.
        let midnight = 16 * 3_600_000;
        assert_eq!(cst_day(midnight - 1), 0);
        assert_eq!(cst_day(midnight), 1);
        assert_eq!(cst_day(-CST_OFFSET_MS - 1), -1);
        assert_eq!(cst_day_start(1), midnight);
        for ms in [-5 * DAY_MS, -1, 0, 1, midnight, 1_795_766_400_123] {
            let d = cst_day(ms);
            assert!(cst_day_start(d) <= ms && ms < cst_day_start(d + 1), "{ms}");
        }
    }
}
