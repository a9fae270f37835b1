//! Identifiers with check characters and the slug names used in URLs.

/// Alphabet of the unified social credit code (统一社会信用代码, GB 32100-2015): no I, O, S, V, Z.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Weights of the citizen identity number (GB 11643-1999).
const CITIZEN_ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CITIZEN_ID_CHECK: &[u8; 11] = b"10X98765432";

/// The check character of the first 17 characters of a unified social credit code, if they are
/// all in the alphabet.
pub fn uscc_check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (b, w) in bytes.iter().zip(USCC_WEIGHTS) {
        let v = USCC_ALPHABET.iter().position(|a| a == b)? as u32;
        sum += v * w;
    }
    Some(USCC_ALPHABET[((31 - sum % 31) % 31) as usize] as char)
}

/// Whether `code` is a unified social credit code with a valid check character (upper case).
pub fn is_valid_uscc(code: &str) -> bool {
    code.len() == 18 && code.is_ascii() && uscc_check_char(&code[..17]) == code[17..].chars().next()
}

/// The check character of the first 17 digits of a citizen identity number.
pub fn citizen_id_check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(CITIZEN_ID_WEIGHTS)
        .map(|(b, w)| (b - b'0') as u32 * w)
        .sum();
    Some(CITIZEN_ID_CHECK[(sum % 11) as usize] as char)
}

/// Whether `id` is an 18-character citizen identity number with a valid birth date and check
/// character (`x` is accepted for `X`).
pub fn is_valid_citizen_id(id: &str) -> bool {
    if id.len() != 18 || !id.is_ascii() {
        return false;
    }
    let check = id.as_bytes()[17].to_ascii_uppercase() as char;
    if citizen_id_check_char(&id[..17]) != Some(check) {
        return false;
    }
    is_valid_date(&id[6..10], &id[10..12], &id[12..14])
}

/// Whether year, month and day (as digit strings) form a plausible birth date (1900–2099).
pub fn is_valid_date(y: &str, m: &str, d: &str) -> bool {
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    if !(1900..=2099).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= days
}

/// Whether a string of 16–19 digits passes the Luhn check (bank cards).
pub fn is_luhn_card(number: &str) -> bool {
    let b = number.as_bytes();
    if !(16..=19).contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = b
        .iter()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = (c - b'0') as u32;
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Why a slug name was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    /// Length outside 2–100.
    #[error("a name must be 2 to 100 characters long")]
    Length,
    /// A character outside `a-z 0-9 - _`.
    #[error("a name may contain only lower-case letters a-z, digits, `-` and `_`, and must start with a letter or digit")]
    Characters,
}

/// Validates a URL slug (CKAN's rule: 2–100 of `a-z0-9-_`, starting with a letter or digit).
pub fn validate_slug(name: &str) -> Result<(), SlugError> {
    if !(2..=100).contains(&name.len()) {
        return Err(SlugError::Length);
    }
    let ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(SlugError::Characters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn uscc_known_codes() {
        // Published codes of well-known enterprises.
        assert!(is_valid_uscc("91350100M000100Y43"));
        assert!(!is_valid_uscc("91350100M000100Y44"));
        assert!(!is_valid_uscc("91350100M000100Y4"));
        // `I` is not in the alphabet.
        assert!(!is_valid_uscc("91350100M000100I43"));
    }

    #[test]
    fn citizen_ids() {
        // GB 11643's example number.
        assert!(is_valid_citizen_id("11010519491231002X"));
        assert!(is_valid_citizen_id("11010519491231002x"));
        assert!(!is_valid_citizen_id("110105194912310021"));
        // Valid check character but 31 February.
        let first = "11010519490231002";
        let id = format!("{first}{}", citizen_id_check_char(first).unwrap());
        assert!(!is_valid_citizen_id(&id));
    }

    #[test]
    fn luhn() {
        assert!(is_luhn_card("4111111111111111"));
        assert!(!is_luhn_card("4111111111111112"));
        assert!(!is_luhn_card("411111111111111"));
    }

    #[test]
    fn slugs() {
        assert!(validate_slug("bus-stops_2024").is_ok());
        assert_eq!(validate_slug("a"), Err(SlugError::Length));
        assert_eq!(validate_slug("Bus"), Err(SlugError::Characters));
        assert_eq!(validate_slug("-bus"), Err(SlugError::Characters));
        assert_eq!(validate_slug("../x"), Err(SlugError::Characters));
    }

    proptest! {
        #[test]
        fn generated_uscc_validates(body in "[0-9A-HJ-NP-RTUW-Y]{17}") {
            let code = format!("{body}{}", uscc_check_char(&body).unwrap());
            prop_assert!(is_valid_uscc(&code));
        }

        #[test]
        fn one_changed_digit_breaks_a_citizen_id(pos in 0usize..17, delta in 1u8..10) {
            let id = "11010519491231002X";
            let mut b = id.as_bytes().to_vec();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(b).unwrap();
            prop_assert!(!is_valid_citizen_id(&changed));
        }
    }
}
