//! The default masks of DESIGN.md C3 (脱敏规则). Each is total: any input gives some output, and
//! an input too short to keep its visible parts is masked entirely.

use crate::pii::PiiKind;

/// Masks a value of the given kind.
pub fn mask(kind: PiiKind, value: &str) -> String {
    match kind {
        PiiKind::Mobile => mask_mobile(value),
        PiiKind::PersonName => mask_name(value),
        PiiKind::CitizenId => mask_citizen_id(value),
        PiiKind::Email => mask_email(value),
        PiiKind::Address => mask_address(value),
        PiiKind::BirthDate => mask_birth_date(value),
        PiiKind::BankCard => keep_ends(value, 6, 4),
        PiiKind::Uscc => value.to_string(),
    }
}

fn stars(n: usize) -> String {
    "*".repeat(n)
}

/// Keeps `head` leading and `tail` trailing characters and stars the rest.
fn keep_ends(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return stars(chars.len().max(1));
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&stars(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// `13812341234` → `138****1234`.
pub fn mask_mobile(value: &str) -> String {
    keep_ends(value.trim(), 3, 4)
}

/// `张三丰` → `张**`.
pub fn mask_name(value: &str) -> String {
    let mut chars = value.trim().chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", stars(rest))
        }
        None => String::new(),
    }
}

/// First six, eight stars, last four: `110105********002X`.
pub fn mask_citizen_id(value: &str) -> String {
    keep_ends(value.trim(), 6, 4)
}

/// `zhangsan@example.com` → `z***@example.com`.
pub fn mask_email(value: &str) -> String {
    match value.trim().split_once('@') {
        Some((local, domain)) if !local.is_empty() => {
            format!("{}***@{domain}", local.chars().next().unwrap_or('*'))
        }
        _ => stars(3),
    }
}

/// Cuts an address after its district or county (区/县), or after its city if it has neither.
pub fn mask_address(value: &str) -> String {
    let v = value.trim();
    for marker in ['区', '县', '市'] {
        if let Some(i) = v.find(marker) {
            return format!("{}***", &v[..i + marker.len_utf8()]);
        }
    }
    stars(3)
}

/// Keeps the year of a date: `1990-05-17` → `1990`.
pub fn mask_birth_date(value: &str) -> String {
    let year: String = value.trim().chars().take(4).collect();
    if year.len() == 4 && year.chars().all(|c| c.is_ascii_digit()) {
        year
    } else {
        stars(4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_masks() {
        assert_eq!(mask(PiiKind::Mobile, "13812341234"), "138****1234");
        assert_eq!(mask(PiiKind::PersonName, "张三"), "张*");
        assert_eq!(mask(PiiKind::PersonName, "欧阳娜娜"), "欧***");
        assert_eq!(
            mask(PiiKind::CitizenId, "11010519491231002X"),
            "110105********002X"
        );
        assert_eq!(
            mask(PiiKind::Email, "alice@example.com"),
            "a***@example.com"
        );
        assert_eq!(
            mask(PiiKind::Address, "浙江省杭州市西湖区文三路100号"),
            "浙江省杭州市西湖区***"
        );
        assert_eq!(mask(PiiKind::BirthDate, "1990-05-17"), "1990");
        assert_eq!(mask(PiiKind::Mobile, "123"), "***");
        assert_eq!(mask(PiiKind::Email, "bad"), "***");
    }
}
