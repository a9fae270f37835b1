//! Time as the platform keeps it: Unix milliseconds, with quota days in China Standard Time.

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
/// Quota days start at midnight China Standard Time (UTC+8).
const CST_OFFSET_MS: i64 = 8 * 3_600_000;

/// Current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

/// The quota day (days since the epoch, in China Standard Time) of a Unix-millisecond time.
pub fn quota_day(now: i64) -> i64 {
    (now + CST_OFFSET_MS).div_euclid(DAY_MS)
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-27T08:00:00.123Z`.
pub fn rfc3339_ms(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_days_turn_at_midnight_in_china() {
        // 1970-01-01T16:00:00Z is midnight of 1970-01-02 in UTC+8.
        let midnight = 16 * 3_600_000;
        assert_eq!(quota_day(midnight - 1), 0);
        assert_eq!(quota_day(midnight), 1);
        assert_eq!(quota_day(-CST_OFFSET_MS - 1), -1);
    }

    #[test]
    fn times_are_utc_with_milliseconds() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_795_766_400_123), "2026-11-27T08:00:00.123Z");
    }
}
