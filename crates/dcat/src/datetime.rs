//! Dates without a date library: Unix milliseconds to `xsd:dateTime`, and typing of the free-form
//! dates of temporal coverage.

use crate::vocab::ns;

/// Unix milliseconds as an `xsd:dateTime` in UTC, `2024-03-01T08:30:00Z`, with milliseconds only
/// when there are some. The same string is a valid RFC 3339 date-time for years 0 to 9999.
pub(crate) fn xsd_date_time(unix_ms: i64) -> String {
    let days = unix_ms.div_euclid(86_400_000);
    let ms_of_day = unix_ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, ms) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000,
    );
    let year = if year < 0 {
        format!("-{:04}", -year)
    } else {
        format!("{year:04}")
    };
    if ms == 0 {
        format!("{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
    } else {
        format!("{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
    }
}

/// The proleptic Gregorian date of a count of days since 1970-01-01, by counting 400-year eras
/// of 146 097 days from 0000-03-01 (so that the leap day ends a year).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The XSD datatype of a temporal-coverage bound and its lexical form: `2020` is an `xsd:gYear`,
/// `2020-05` an `xsd:gYearMonth`, `2020-05-01` an `xsd:date`, `2020-05-01T08:00:00Z` an
/// `xsd:dateTime` (`/` is accepted for `-`). Anything else is `None`, to be kept as plain text.
pub(crate) fn temporal_datatype(s: &str) -> Option<(&'static str, String)> {
    let s = s.trim().replace('/', "-");
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s.as_str(), None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let year = digits(parts.first()?, 4)?;
    let month = match parts.get(1) {
        Some(m) => Some(digits(m, 2).filter(|m| (1..=12).contains(m))?),
        None => None,
    };
    let day = match (parts.get(2), month) {
        (Some(d), Some(month)) => {
            Some(digits(d, 2).filter(|&d| d >= 1 && d <= days_in_month(year, month))?)
        }
        (Some(_), None) => return None,
        (None, _) => None,
    };
    if parts.len() > 3 {
        return None;
    }
    match (month, day, time) {
        (None, None, None) => Some((ns::XSD_G_YEAR, s)),
        (Some(_), None, None) => Some((ns::XSD_G_YEAR_MONTH, s)),
        (Some(_), Some(_), None) => Some((ns::XSD_DATE, s)),
        (Some(_), Some(_), Some(t)) if valid_time(t) => Some((ns::XSD_DATE_TIME, s)),
        _ => None,
    }
}

/// `hh:mm:ss`, optional fraction, optional `Z` or `±hh:mm`.
fn valid_time(t: &str) -> bool {
    let (clock, zone) = if let Some(c) = t.strip_suffix('Z') {
        (c, None)
    } else if t.len() > 6 && matches!(t.as_bytes()[t.len() - 6], b'+' | b'-') {
        (&t[..t.len() - 6], Some(&t[t.len() - 5..]))
    } else {
        (t, None)
    };
    let zone_ok = zone.is_none_or(|z| {
        let (h, m) = z.split_once(':').unwrap_or(("", ""));
        digits(h, 2).is_some_and(|h| h <= 14) && digits(m, 2).is_some_and(|m| m < 60)
    });
    let (whole, fraction) = clock.split_once('.').unwrap_or((clock, "0"));
    let hms: Vec<&str> = whole.split(':').collect();
    zone_ok
        && hms.len() == 3
        && digits(hms[0], 2).is_some_and(|h| h < 24)
        && digits(hms[1], 2).is_some_and(|m| m < 60)
        && digits(hms[2], 2).is_some_and(|s| s < 60)
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_milliseconds_become_utc_date_times() {
        let check = |ms: i64, expected: &str| assert_eq!(xsd_date_time(ms), expected, "{ms}");
        check(0, "1970-01-01T00:00:00Z");
        check(1_709_281_800_000, "2024-03-01T08:30:00Z");
        check(1_709_164_800_123, "2024-02-29T00:00:00.123Z");
        check(951_782_400_000, "2000-02-29T00:00:00Z");
        check(-1, "1969-12-31T23:59:59.999Z");
        check(-62_135_596_800_000, "0001-01-01T00:00:00Z");
        check(253_402_300_799_000, "9999-12-31T23:59:59Z");
        // Extreme values still give a well-formed string instead of panicking.
        assert!(xsd_date_time(i64::MIN).starts_with('-'));
        assert!(xsd_date_time(i64::MAX).ends_with('Z'));
    }

    #[test]
    fn civil_dates_round_trip_over_four_centuries() {
        let mut expected = (1970i64, 1u32, 1u32);
        for days in 0..146_097 {
            assert_eq!(civil_from_days(days), expected, "day {days}");
            let (y, m, d) = expected;
            expected = if d < days_in_month(y as u32, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }

    #[test]
    fn temporal_bounds_get_the_narrowest_datatype() {
        let check = |s: &str, expected: Option<(&str, &str)>| {
            let got = temporal_datatype(s);
            assert_eq!(
                got.as_ref().map(|(dt, v)| (*dt, v.as_str())),
                expected,
                "{s:?}"
            );
        };
        check("2020", Some((ns::XSD_G_YEAR, "2020")));
        check("2020-05", Some((ns::XSD_G_YEAR_MONTH, "2020-05")));
        check("2020-05-01", Some((ns::XSD_DATE, "2020-05-01")));
        check("2020/05/01", Some((ns::XSD_DATE, "2020-05-01")));
        check("2024-02-29", Some((ns::XSD_DATE, "2024-02-29")));
        check("2023-02-29", None);
        check("2020-13", None);
        check(
            "2020-05-01T08:00:00Z",
            Some((ns::XSD_DATE_TIME, "2020-05-01T08:00:00Z")),
        );
        check(
            "2020-05-01T08:00:00.5+08:00",
            Some((ns::XSD_DATE_TIME, "2020-05-01T08:00:00.5+08:00")),
        );
        check(
            "2020-05-01T08:00:00",
            Some((ns::XSD_DATE_TIME, "2020-05-01T08:00:00")),
        );
        check("2020-05-01T25:00:00", None);
        check("2020-05-01T08:00", None);
        check("2020年", None);
        check("至今", None);
        check("", None);
    }
}
