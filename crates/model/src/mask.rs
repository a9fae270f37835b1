//! The default masks of DESIGN.md C3 (脱敏规则). Each is total: any input gives some output, and
//! an input too short to keep its visible parts is masked entirely.

use crate::pii::PiiKind;

/// Masks a value of the given kind.
pub fn mask(kind: PiiKind, value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    mask_into(kind, value, &mut out);
    out
}

/// Appends the masked form of a value of the given kind to `out`, allocating nothing else: the
/// query engine masks every value of a column this way.
pub fn mask_into(kind: PiiKind, value: &str, out: &mut String) {
    let v = value.trim();
    match kind {
        PiiKind::Mobile => keep_ends(v, 3, 4, out),
        PiiKind::PersonName => name_into(v, out),
        PiiKind::CitizenId => keep_ends(v, 6, 4, out),
        PiiKind::Email => email_into(v, out),
        PiiKind::Address => address_into(v, out),
        PiiKind::BirthDate => birth_date_into(v, out),
        PiiKind::BankCard => keep_ends(value, 6, 4, out),
        PiiKind::Uscc => out.push_str(value),
    }
}

fn stars(n: usize, out: &mut String) {
    out.extend(std::iter::repeat_n('*', n));
}

/// Keeps `head` leading and `tail` trailing characters and stars the rest; a value of no more
/// than `head + tail` characters is all stars (at least one).
fn keep_ends(value: &str, head: usize, tail: usize, out: &mut String) {
    let ascii = value.is_ascii();
    let chars = if ascii {
        value.len()
    } else {
        value.chars().count()
    };
    if chars <= head + tail {
        stars(chars.max(1), out);
        return;
    }
    let byte_at = |n: usize| {
        if ascii {
            n
        } else {
            value.char_indices().nth(n).map_or(value.len(), |(i, _)| i)
        }
    };
    out.push_str(&value[..byte_at(head)]);
    stars(chars - head - tail, out);
    out.push_str(&value[byte_at(chars - tail)..]);
}

/// `13812341234` → `138****1234`.
pub fn mask_mobile(value: &str) -> String {
    mask(PiiKind::Mobile, value)
}

/// `张三丰` → `张**`.
pub fn mask_name(value: &str) -> String {
    mask(PiiKind::PersonName, value)
}

fn name_into(v: &str, out: &mut String) {
    let mut chars = v.chars();
    if let Some(first) = chars.next() {
        out.push(first);
        stars(chars.count().max(1), out);
    }
}

/// First six, eight stars, last four: `110105********002X`.
pub fn mask_citizen_id(value: &str) -> String {
    mask(PiiKind::CitizenId, value)
}

/// `zhangsan@example.com` → `z***@example.com`.
pub fn mask_email(value: &str) -> String {
    mask(PiiKind::Email, value)
}

fn email_into(v: &str, out: &mut String) {
    match v.split_once('@') {
        Some((local, domain)) if !local.is_empty() => {
            out.push(local.chars().next().unwrap_or('*'));
            out.push_str("***@");
            out.push_str(domain);
        }
        _ => stars(3, out),
    }
}

/// Cuts an address after its district or county (区/县), or after its city if it has neither.
pub fn mask_address(value: &str) -> String {
    mask(PiiKind::Address, value)
}

fn address_into(v: &str, out: &mut String) {
    for marker in ['区', '县', '市'] {
        if let Some(i) = v.find(marker) {
            out.push_str(&v[..i + marker.len_utf8()]);
            out.push_str("***");
            return;
        }
    }
    stars(3, out)
}

/// Keeps the year of a date: `1990-05-17` → `1990`.
pub fn mask_birth_date(value: &str) -> String {
    mask(PiiKind::BirthDate, value)
}

fn birth_date_into(v: &str, out: &mut String) {
    match v.get(..4) {
        Some(year) if year.bytes().all(|b| b.is_ascii_digit()) => out.push_str(year),
        _ => stars(4, out),
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

    #[test]
    fn masks_count_characters_not_bytes() {
        assert_eq!(
            mask(PiiKind::CitizenId, "一二三四五六七八九十甲乙丙丁"),
            "一二三四五六****甲乙丙丁"
        );
        assert_eq!(mask(PiiKind::Mobile, " 1381234123４ "), "138****123４");
        assert_eq!(mask(PiiKind::Mobile, "一二三四五六七"), "*******");
        assert_eq!(mask(PiiKind::BirthDate, "１９９０-05-17"), "****");
        assert_eq!(mask(PiiKind::BirthDate, "199"), "****");
        assert_eq!(mask(PiiKind::PersonName, ""), "");
        assert_eq!(
            mask(PiiKind::BankCard, "6222021234567890123"),
            "622202*********0123"
        );
    }

    #[test]
    fn masking_into_a_buffer_appends() {
        let mut out = String::from("x:");
        mask_into(PiiKind::Mobile, "13812341234", &mut out);
        mask_into(PiiKind::Email, "alice@example.com", &mut out);
        assert_eq!(out, "x:138****1234a***@example.com");
    }
}
