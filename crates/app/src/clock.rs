//! Time as the platform keeps it: Unix milliseconds, with days in China Standard Time
//! ([`model::calendar`]).

pub use model::calendar::DAY_MS;

/// Current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

/// The quota day of a Unix-millisecond time: quotas renew at midnight in China Standard Time.
pub fn quota_day(now: i64) -> i64 {
    model::calendar::cst_day(now)
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
    fn times_are_utc_with_milliseconds() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_795_766_400_123), "2026-11-27T08:00:00.123Z");
    }
}
