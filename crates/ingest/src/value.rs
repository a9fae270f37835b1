//! Parsing cell text into typed values, and formatting typed values back for profiles.
//!
//! Pass 1 (inference) and pass 2 (conversion) call the same functions, so a column inferred as a
//! type always converts without loss.
//!
//! The identifier rule: digit strings that are really identifiers must stay text, or the leading
//! zero of an area code (`0571`) is lost and an 18-digit citizen ID is rounded. So in
//! [`Strictness::Identifiers`] mode a number is rejected when its integer part has a leading
//! zero, or when it is a whole number of 11 or more digits (mobile numbers, citizen IDs, bank
//! cards). Values ending in `X` (citizen IDs) are not numbers anyway.

/// How strictly numbers are recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// Uploads of text: identifier-like digit strings stay text.
    Identifiers,
    /// Values formatted from an already typed column (Parquet): any number is a number.
    Relaxed,
}

/// Longest integer part, in digits, still treated as a number under the identifier rule.
const MAX_NUMBER_DIGITS: usize = 10;

/// `whole`: the number has no fraction or exponent. Only whole numbers are held to the digit
/// limit, because identifiers never have decimals while large amounts (a budget of
/// 12345678901.50 yuan) do.
fn integer_part_ok(digits: &[u8], strictness: Strictness, whole: bool) -> bool {
    match strictness {
        Strictness::Relaxed => true,
        Strictness::Identifiers => {
            let leading_zero = digits.len() > 1 && digits[0] == b'0';
            !leading_zero && (!whole || digits.len() <= MAX_NUMBER_DIGITS)
        }
    }
}

/// An integer: an optional `-` and digits.
pub(crate) fn parse_int(s: &str, strictness: Strictness) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s).as_bytes();
    if digits.is_empty()
        || !digits.iter().all(u8::is_ascii_digit)
        || !integer_part_ok(digits, strictness, true)
    {
        return None;
    }
    s.parse().ok()
}

/// A finite decimal number: `-`? digits (`.` digits)? (`e` `±`? digits)?.
///
/// Spelled out instead of trusting `f64::from_str`, which also accepts `inf`, `NaN`, `+1`
/// and `.5` — spellings that in a government spreadsheet are far more likely to be text.
pub(crate) fn parse_float(s: &str, strictness: Strictness) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_end = i;
    if i == int_start {
        return None;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == frac_start {
            return None;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != b.len() || !integer_part_ok(&b[int_start..int_end], strictness, int_end == b.len()) {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// `true` or `false`, in any letter case (Excel writes `TRUE`).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Parses `YYYY-MM-DD` (or `/` as separator, one- or two-digit month and day) at the start of
/// `s`, returning days since 1970-01-01 and the number of bytes consumed.
fn parse_date_prefix(s: &[u8]) -> Option<(i32, usize)> {
    if s.len() < 8 || !s[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sep = s[4];
    if sep != b'-' && sep != b'/' {
        return None;
    }
    let year = num(&s[..4]) as i32;
    let (month, i) = small_number(s, 5)?;
    if s.get(i) != Some(&sep) {
        return None;
    }
    let (day, end) = small_number(s, i + 1)?;
    if year < 1 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some((days_from_civil(year, month, day), end))
}

/// One or two digits at `start`; returns the value and the index after them.
fn small_number(s: &[u8], start: usize) -> Option<(u32, usize)> {
    let mut end = start;
    while end < s.len() && end - start < 2 && s[end].is_ascii_digit() {
        end += 1;
    }
    (end > start).then(|| (num(&s[start..end]), end))
}

fn num(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

/// A calendar date: days since 1970-01-01.
pub(crate) fn parse_date(s: &str) -> Option<i32> {
    match parse_date_prefix(s.as_bytes()) {
        Some((days, end)) if end == s.len() => Some(days),
        _ => None,
    }
}

/// A date and time, `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]` with an optional `Z` or `±HH[:MM]`
/// offset. Returns microseconds since the epoch (in UTC when an offset was given) and whether
/// an offset was given.
pub(crate) fn parse_timestamp(s: &str) -> Option<(i64, bool)> {
    let b = s.as_bytes();
    let (days, mut i) = parse_date_prefix(b)?;
    if i >= b.len() || (b[i] != b'T' && b[i] != b' ') {
        return None;
    }
    i += 1;
    let (hour, j) = small_number(b, i)?;
    if b.get(j) != Some(&b':') {
        return None;
    }
    let (minute, j) = two_digits(b, j + 1)?;
    i = j;
    let mut second = 0;
    let mut micros = 0u32;
    if b.get(i) == Some(&b':') {
        let (sec, j) = two_digits(b, i + 1)?;
        second = sec;
        i = j;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return None;
            }
            // Keep microseconds; finer digits are truncated (Parquet stores microseconds).
            let frac = &b[start..i.min(start + 6)];
            micros = num(frac) * 10u32.pow(6 - frac.len() as u32);
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut offset_seconds: i64 = 0;
    let aware = i < b.len();
    if aware {
        match b[i] {
            b'Z' | b'z' if i + 1 == b.len() => {}
            b'+' | b'-' => {
                let sign = if b[i] == b'+' { 1 } else { -1 };
                let (oh, mut j) = two_digits(b, i + 1)?;
                let mut om = 0;
                if j < b.len() {
                    if b[j] == b':' {
                        j += 1;
                    }
                    let (m, k) = two_digits(b, j)?;
                    om = m;
                    j = k;
                }
                if j != b.len() || oh > 23 || om > 59 {
                    return None;
                }
                offset_seconds = sign * i64::from(oh * 3600 + om * 60);
            }
            _ => return None,
        }
    }
    let seconds =
        i64::from(days) * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_seconds;
    Some((seconds * 1_000_000 + i64::from(micros), aware))
}

fn two_digits(s: &[u8], start: usize) -> Option<(u32, usize)> {
    let d = s.get(start..start + 2)?;
    d.iter()
        .all(u8::is_ascii_digit)
        .then(|| (num(d), start + 2))
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// The inverse of [`days_from_civil`].
pub(crate) fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe as i32 + era * 400 + i32::from(m <= 2);
    (y, m, d)
}

/// `YYYY-MM-DD`.
pub(crate) fn format_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]`, with a trailing `Z` when the column is in UTC.
pub(crate) fn format_timestamp(micros: i64, utc: bool) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let days = seconds.div_euclid(86_400) as i32;
    let secs = seconds.rem_euclid(86_400);
    let mut out = format!(
        "{} {:02}:{:02}:{:02}",
        format_date(days),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac != 0 {
        out.push_str(&format!(".{frac:06}"));
    }
    if utc {
        out.push('Z');
    }
    out
}

/// A float as people write it: integral values without a trailing `.0`.
pub(crate) fn format_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Strictness::*;

    #[test]
    fn integers() {
        let check =
            |s: &str, expected: Option<i64>| assert_eq!(parse_int(s, Identifiers), expected, "{s}");
        check("0", Some(0));
        check("42", Some(42));
        check("-7", Some(-7));
        check("2147483648", Some(2_147_483_648));
        check("0571", None);
        check("-0571", None);
        check("13812345678", None);
        check("11010519491231002X", None);
        check("+5", None);
        check("1.0", None);
        check("", None);
        check("-", None);
        assert_eq!(parse_int("13812345678", Relaxed), Some(13_812_345_678));
        assert_eq!(parse_int("99999999999999999999", Relaxed), None);
    }

    #[test]
    fn floats() {
        let check = |s: &str, expected: Option<f64>| {
            assert_eq!(parse_float(s, Identifiers), expected, "{s}")
        };
        check("1.5", Some(1.5));
        check("-0.25", Some(-0.25));
        check("0.5", Some(0.5));
        check("3", Some(3.0));
        check("1e3", Some(1000.0));
        check("2.5E-2", Some(0.025));
        check("00.5", None);
        check("05.5", None);
        check(".5", None);
        check("5.", None);
        check("inf", None);
        check("NaN", None);
        check("1,234.5", None);
        check("12%", None);
        check("13812345678", None);
        check("12345678901.5", Some(12_345_678_901.5));
        check("0571.5", None);
        assert_eq!(parse_float("13812345678", Relaxed), Some(13_812_345_678.0));
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(parse_date("2024/2/9"), parse_date("2024-02-09"));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-13-01"), None);
        assert_eq!(parse_date("2024-01-01x"), None);
        assert_eq!(parse_date("2024-01/01"), None);
        assert_eq!(parse_date("20240101"), None);
        assert_eq!(
            parse_timestamp("1970-01-01 00:00:01"),
            Some((1_000_000, false))
        );
        assert_eq!(
            parse_timestamp("1970-01-01T08:00:00+08:00"),
            Some((0, true))
        );
        assert_eq!(
            parse_timestamp("1970-01-01T00:00:00.5Z"),
            Some((500_000, true))
        );
        assert_eq!(
            parse_timestamp("1970-01-01 9:30"),
            Some((34_200_000_000, false))
        );
        assert_eq!(parse_timestamp("1970-01-01 24:00:00"), None);
        assert_eq!(parse_timestamp("1970-01-01"), None);
        assert_eq!(parse_timestamp("1970-01-01 10:00:00 abc"), None);
        assert_eq!(
            format_timestamp(1_500_000, false),
            "1970-01-01 00:00:01.500000"
        );
        assert_eq!(format_timestamp(-1, true), "1969-12-31 23:59:59.999999Z");
        assert_eq!(format_date(19_782), "2024-02-29");
    }

    #[test]
    fn float_text() {
        assert_eq!(format_float(3.0), "3");
        assert_eq!(format_float(-0.5), "-0.5");
        assert_eq!(format_float(13_812_345_678.0), "13812345678");
    }

    proptest! {
        #[test]
        fn civil_round_trip(days in -800_000i32..3_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
            if (1..=9999).contains(&y) {
                prop_assert_eq!(parse_date(&format_date(days)), Some(days));
            }
        }

        #[test]
        fn timestamps_round_trip(micros in -60_000_000_000_000_000i64..200_000_000_000_000_000) {
            prop_assert_eq!(parse_timestamp(&format_timestamp(micros, false)), Some((micros, false)));
            prop_assert_eq!(parse_timestamp(&format_timestamp(micros, true)), Some((micros, true)));
        }

        #[test]
        fn integers_round_trip(n in -9_999_999_999i64..=9_999_999_999) {
            prop_assert_eq!(parse_int(&n.to_string(), Identifiers), Some(n));
        }
    }
}
