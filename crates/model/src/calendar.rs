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

/// The month (`YYYYMM`, China Standard Time) of a Unix-millisecond time.
pub fn cst_month(ms: i64) -> i64 {
    let (y, m, _) = civil_from_days(cst_day(ms));
    y * 100 + m
}

/// Year, month and day of a day count since 1970-01-01 (proleptic Gregorian); the inverse of
/// [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    // Howard Hinnant's days-to-civil algorithm.
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (`month` 1–12, `day` 1–31).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Howard Hinnant's days-from-civil algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The Unix-millisecond time at which a date begins in China Standard Time.
pub fn cst_date_start(year: i64, month: i64, day: i64) -> i64 {
    cst_day_start(days_from_civil(year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_from_1970() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        // 2026-11-27T08:00:00Z is 16:00 in Beijing, that day.
        assert_eq!(cst_day(1_795_766_400_123), days_from_civil(2026, 11, 27));
        assert_eq!(cst_date_start(1970, 1, 2), 16 * 3_600_000);
        for days in [-800_000, -1, 0, 11_017, 20_784, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

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
