//! Feedback on public services (诉求反馈, DESIGN.md C10): anyone reports a problem with a public
//! service, the department responsible answers in public, and the submitter rates the answer.
//! This module holds the states and the moves between them, the first-answer deadline, the
//! rating and reopening windows, the checks of a submission (location, the service's attributes,
//! contact details), and the masking of personal information in public text. The application
//! layer keeps the records; the Open311 façade maps the states to `open` and `closed`.

use crate::calendar::{cst_day, cst_day_start, DAY_MS};
use crate::classification::string_enum;
use crate::mask::mask;
use crate::pii::{find_in_text, is_email, is_mobile};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Days a department has for the first answer (accept or reject), unless configured otherwise.
pub const DEFAULT_ANSWER_DAYS: i64 = 3;
/// Days after closing during which the submitter may reopen an item.
pub const REOPEN_DAYS: i64 = 30;
/// Times an item may be reopened.
pub const MAX_REOPENS: i64 = 1;
/// Longest description, status note or reason, in characters.
pub const MAX_TEXT: usize = 4000;
/// Longest address, in characters.
pub const MAX_ADDRESS: usize = 200;
/// Most photos per item.
pub const MAX_PHOTOS: usize = 3;
/// Largest photo accepted, in bytes (5 MiB).
pub const MAX_PHOTO_BYTES: usize = 5 << 20;
/// Longest service code, in characters.
pub const MAX_CODE: usize = 64;

string_enum! {
    /// Where a feedback item stands. Whether it is overdue is not a state of its own: a
    /// submitted item is overdue once its first-answer deadline has passed ([`is_overdue`]).
    FeedbackStatus, "feedback status" {
        /// Submitted, waiting for the department's first answer.
        Submitted => "submitted", "待受理", "Submitted";
        /// Accepted, with an expected date.
        Accepted => "accepted", "已受理", "Accepted";
        /// Being handled.
        InProgress => "in_progress", "处理中", "In progress";
        /// Resolved.
        Resolved => "resolved", "已办结", "Resolved";
        /// Rejected, with a reason given in public.
        Rejected => "rejected", "不予受理", "Rejected";
    }
}

impl FeedbackStatus {
    /// Whether the item is closed (resolved or rejected): Open311's `closed`.
    pub fn is_closed(self) -> bool {
        matches!(self, FeedbackStatus::Resolved | FeedbackStatus::Rejected)
    }

    /// Open311's status: `open` or `closed`.
    pub fn open311(self) -> &'static str {
        if self.is_closed() {
            "closed"
        } else {
            "open"
        }
    }
}

string_enum! {
    /// What happens to a feedback item; each is one step of its public history.
    FeedbackEvent, "feedback event" {
        /// Submitted by the public.
        Submit => "submit", "提交", "Submitted";
        /// The department accepts it, with an expected date.
        Accept => "accept", "受理", "Accepted";
        /// The department starts work on it.
        Start => "start", "开始处理", "Work started";
        /// The department resolves it.
        Resolve => "resolve", "办结", "Resolved";
        /// The department rejects it, with a reason.
        Reject => "reject", "不予受理", "Rejected";
        /// The authority or the department moves it to another department; the deadline for
        /// the first answer starts again.
        Transfer => "transfer", "转办", "Transferred";
        /// A public status note without a change of state.
        Note => "note", "进展说明", "Status note";
        /// The submitter reopens a closed item, with a reason.
        Reopen => "reopen", "重新办理", "Reopened";
        /// The submitter rates the answer.
        Rate => "rate", "满意度评价", "Rated";
        /// The department hides the description, with a public reason.
        Hide => "hide", "隐藏描述", "Description hidden";
    }
}

string_enum! {
    /// The type of a service attribute, as Open311 names them.
    AttributeType, "attribute type" {
        /// A short text.
        String => "string", "文本", "Text";
        /// A number.
        Number => "number", "数字", "Number";
        /// A date and time (ISO 8601).
        Datetime => "datetime", "日期时间", "Date and time";
        /// A longer text.
        Text => "text", "长文本", "Long text";
        /// One key of the allowed values.
        SingleValueList => "singlevaluelist", "单选", "One of a list";
        /// Keys of the allowed values.
        MultiValueList => "multivaluelist", "多选", "Several of a list";
    }
}

/// One allowed value of a list attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeValue {
    /// The key submitted.
    pub key: String,
    /// The name shown.
    pub name: String,
}

/// An extra question of a service (Open311's service definition attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    /// The code submitted as `attribute[code]`.
    pub code: String,
    /// The type of the answer.
    pub datatype: AttributeType,
    /// Whether an answer is required.
    #[serde(default)]
    pub required: bool,
    /// The question asked.
    pub description: String,
    /// A hint about the answer's form.
    #[serde(default)]
    pub datatype_description: String,
    /// The order of the question on a form.
    #[serde(default)]
    pub order: i64,
    /// Allowed values, for the list types.
    #[serde(default)]
    pub values: Vec<AttributeValue>,
}

/// What is wrong with a submission, or why a move does not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedbackError {
    /// The move does not apply to an item in this state.
    #[error("an item that is {from} cannot be {past}", from = from.label_en().to_lowercase(), past = event.label_en().to_lowercase())]
    NotAllowed {
        /// The state.
        from: FeedbackStatus,
        /// The move.
        event: FeedbackEvent,
    },
    /// A text field is empty or too long.
    #[error("`{field}` must have 1 to {max} characters")]
    Text {
        /// The field.
        field: &'static str,
        /// Its limit.
        max: usize,
    },
    /// Latitude or longitude out of range, or only one of them given.
    #[error(
        "give both latitude (−90 to 90) and longitude (−180 to 180) in WGS 84 degrees, or neither"
    )]
    Coordinates,
    /// Neither a position nor an address.
    #[error("give a location: latitude and longitude, or an address")]
    NoLocation,
    /// An attribute code the service does not define.
    #[error("the service has no attribute `{0}`")]
    UnknownAttribute(String),
    /// A required attribute is missing.
    #[error("the attribute `{0}` is required")]
    MissingAttribute(String),
    /// An attribute's value does not fit its type or list.
    #[error("`{value}` is not an allowed value of the attribute `{code}`")]
    AttributeValue {
        /// The attribute.
        code: String,
        /// The value given (attribute values are not personal: they are keys, numbers, dates).
        value: String,
    },
    /// A service definition that cannot be used.
    #[error("invalid service definition: {0}")]
    Service(String),
    /// Contact details of the wrong shape.
    #[error("the contact {0} is not valid")]
    Contact(&'static str),
    /// A rating outside 1–5.
    #[error("a rating is a whole number from 1 to 5")]
    Rating,
    /// The item was rated already since it closed.
    #[error("this item has been rated already")]
    AlreadyRated,
    /// Reopened already, or the window has passed.
    #[error("an item can be reopened once, within {REOPEN_DAYS} days of being closed")]
    Reopen,
    /// An expected date in the past or more than two years ahead.
    #[error("the expected date must be today or later, and within two years")]
    ExpectedDate,
}

/// The state after `event`, or why it does not apply. Notes and ratings leave the state as it
/// is; hiding a description is allowed in every state.
pub fn transition(
    from: FeedbackStatus,
    event: FeedbackEvent,
) -> Result<FeedbackStatus, FeedbackError> {
    use FeedbackEvent as E;
    use FeedbackStatus as S;
    match (from, event) {
        (S::Submitted, E::Accept) => Ok(S::Accepted),
        (S::Submitted | S::Accepted | S::InProgress, E::Reject) => Ok(S::Rejected),
        (S::Accepted, E::Start) => Ok(S::InProgress),
        (S::Accepted | S::InProgress, E::Resolve) => Ok(S::Resolved),
        (S::Submitted | S::Accepted, E::Transfer) => Ok(S::Submitted),
        (S::Submitted | S::Accepted | S::InProgress, E::Note) => Ok(from),
        (S::Resolved | S::Rejected, E::Reopen) => Ok(S::Submitted),
        (S::Resolved | S::Rejected, E::Rate) => Ok(from),
        (_, E::Hide) => Ok(from),
        _ => Err(FeedbackError::NotAllowed { from, event }),
    }
}

/// The moment an item submitted (or transferred, or reopened) at `from_ms` becomes overdue: the
/// start of the day after the `days`-th day, in China Standard Time.
pub fn due_at(from_ms: i64, days: i64) -> i64 {
    cst_day_start(cst_day(from_ms) + days + 1)
}

/// Whether an item is overdue now: still without a first answer after its deadline day.
pub fn is_overdue(status: FeedbackStatus, due_at: i64, now: i64) -> bool {
    status == FeedbackStatus::Submitted && now >= due_at
}

/// Checks an expected date given when accepting (a day, as Unix milliseconds).
pub fn check_expected(expected_ms: i64, now: i64) -> Result<(), FeedbackError> {
    let (day, today) = (cst_day(expected_ms), cst_day(now));
    if day < today || day > today + 2 * 365 {
        return Err(FeedbackError::ExpectedDate);
    }
    Ok(())
}

/// Checks a rating: 1–5, on a closed item not rated since it closed.
pub fn check_rating(status: FeedbackStatus, rating: i64, rated: bool) -> Result<(), FeedbackError> {
    transition(status, FeedbackEvent::Rate)?;
    if !(1..=5).contains(&rating) {
        return Err(FeedbackError::Rating);
    }
    if rated {
        return Err(FeedbackError::AlreadyRated);
    }
    Ok(())
}

/// Checks a reopening: a closed item, reopened fewer than [`MAX_REOPENS`] times, within
/// [`REOPEN_DAYS`] of being closed at `closed_at`.
pub fn check_reopen(
    status: FeedbackStatus,
    reopen_count: i64,
    closed_at: Option<i64>,
    now: i64,
) -> Result<(), FeedbackError> {
    transition(status, FeedbackEvent::Reopen)?;
    let closed_at = closed_at.unwrap_or(i64::MIN);
    if reopen_count >= MAX_REOPENS || now > closed_at.saturating_add(REOPEN_DAYS * DAY_MS) {
        return Err(FeedbackError::Reopen);
    }
    Ok(())
}

/// Checks a text: not empty when `required`, at most `max` characters. Returns it trimmed.
/// Personal information is not refused here: it is masked in public views ([`public_text`]).
pub fn check_text(
    field: &'static str,
    text: &str,
    max: usize,
    required: bool,
) -> Result<String, FeedbackError> {
    let t = text.trim();
    if (required && t.is_empty()) || t.chars().count() > max {
        return Err(FeedbackError::Text { field, max });
    }
    Ok(t.to_string())
}

/// The text as the public sees it: every citizen ID, bank card and mobile number that the
/// ingest detectors find in it masked with the default mask of its kind.
pub fn public_text(text: &str) -> String {
    let found = find_in_text(text);
    if found.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, kind) in found {
        out.push_str(&text[at..range.start]);
        out.push_str(&mask(kind, &text[range.clone()]));
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// A position in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Latitude, −90 to 90.
    pub lat: f64,
    /// Longitude, −180 to 180.
    pub long: f64,
}

/// Checks a location: both coordinates in range or neither, and a position or an address.
/// Returns the position and the trimmed address (`None` when empty).
pub fn check_location(
    lat: Option<f64>,
    long: Option<f64>,
    address: Option<&str>,
) -> Result<(Option<Position>, Option<String>), FeedbackError> {
    let position = match (lat, long) {
        (None, None) => None,
        (Some(lat), Some(long))
            if lat.is_finite()
                && long.is_finite()
                && (-90.0..=90.0).contains(&lat)
                && (-180.0..=180.0).contains(&long) =>
        {
            Some(Position { lat, long })
        }
        _ => return Err(FeedbackError::Coordinates),
    };
    let address = match address.map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => Some(check_text("address", a, MAX_ADDRESS, true)?),
        None => None,
    };
    if position.is_none() && address.is_none() {
        return Err(FeedbackError::NoLocation);
    }
    Ok((position, address))
}

/// Checks a service's attribute definitions: codes are non-empty, short, of letters, digits,
/// `_` and `-`, and unique; list types have unique keys and at least one value; other types
/// have none. Returns them sorted by `order` (then code).
pub fn check_attributes(mut attrs: Vec<Attribute>) -> Result<Vec<Attribute>, FeedbackError> {
    for (i, a) in attrs.iter().enumerate() {
        if !is_code(&a.code) {
            return Err(FeedbackError::Service(format!(
                "attribute code `{}` must be 1 to {MAX_CODE} letters, digits, `_` or `-`",
                a.code
            )));
        }
        if attrs[..i].iter().any(|b| b.code == a.code) {
            return Err(FeedbackError::Service(format!(
                "attribute code `{}` is repeated",
                a.code
            )));
        }
        if a.description.trim().is_empty() {
            return Err(FeedbackError::Service(format!(
                "attribute `{}` needs a description",
                a.code
            )));
        }
        let is_list = matches!(
            a.datatype,
            AttributeType::SingleValueList | AttributeType::MultiValueList
        );
        if is_list == a.values.is_empty() {
            return Err(FeedbackError::Service(format!(
                "attribute `{}`: list types need values and other types take none",
                a.code
            )));
        }
        for (j, v) in a.values.iter().enumerate() {
            if v.key.trim().is_empty() || a.values[..j].iter().any(|w| w.key == v.key) {
                return Err(FeedbackError::Service(format!(
                    "attribute `{}`: value keys must be non-empty and unique",
                    a.code
                )));
            }
        }
    }
    attrs.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.code.cmp(&b.code)));
    Ok(attrs)
}

/// Whether `s` is a usable service or attribute code.
pub fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_CODE
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Checks the answers given to a service's attributes (`code → values`; only the list type
/// `multivaluelist` takes more than one). Unknown codes, missing required answers, values not
/// in the list and values of the wrong type are refused. Returns the answers kept, empty ones
/// dropped.
pub fn check_answers(
    defs: &[Attribute],
    given: &BTreeMap<String, Vec<String>>,
) -> Result<BTreeMap<String, Vec<String>>, FeedbackError> {
    let mut out = BTreeMap::new();
    for code in given.keys() {
        if !defs.iter().any(|d| &d.code == code) {
            return Err(FeedbackError::UnknownAttribute(code.clone()));
        }
    }
    for def in defs {
        let values: Vec<String> = given
            .get(&def.code)
            .map(|vs| {
                vs.iter()
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if values.is_empty() {
            if def.required {
                return Err(FeedbackError::MissingAttribute(def.code.clone()));
            }
            continue;
        }
        let bad = |value: &str| FeedbackError::AttributeValue {
            code: def.code.clone(),
            value: value.chars().take(50).collect(),
        };
        if values.len() > 1 && def.datatype != AttributeType::MultiValueList {
            return Err(bad(&values[1]));
        }
        for v in &values {
            let ok = match def.datatype {
                AttributeType::String => v.chars().count() <= 200,
                AttributeType::Text => v.chars().count() <= MAX_TEXT,
                AttributeType::Number => v.parse::<f64>().is_ok_and(f64::is_finite),
                AttributeType::Datetime => is_iso_datetime(v),
                AttributeType::SingleValueList | AttributeType::MultiValueList => {
                    def.values.iter().any(|x| &x.key == v)
                }
            };
            if !ok {
                return Err(bad(v));
            }
        }
        out.insert(def.code.clone(), values);
    }
    Ok(out)
}

/// Whether `s` is an ISO 8601 date (`YYYY-MM-DD`) or date and time (`YYYY-MM-DDTHH:MM[:SS]`,
/// optionally with fractions and an offset or `Z`), with fields in range.
pub fn is_iso_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(_), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return false;
    }
    if b.len() == 10 {
        return true;
    }
    if !(b[10] == b'T' || b[10] == b' ') || b.len() < 16 || b[13] != b':' {
        return false;
    }
    let (Some(h), Some(mi)) = (num(11..13), num(14..16)) else {
        return false;
    };
    if h > 23 || mi > 59 {
        return false;
    }
    let mut rest = &s[16..];
    if let Some(r) = rest.strip_prefix(':') {
        let Some(sec) = r.get(..2).filter(|p| p.bytes().all(|c| c.is_ascii_digit())) else {
            return false;
        };
        if sec.parse::<u32>().unwrap_or(99) > 60 {
            return false;
        }
        rest = &r[2..];
        if let Some(f) = rest.strip_prefix('.') {
            let digits = f.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return false;
            }
            rest = &f[digits..];
        }
    }
    match rest.as_bytes() {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        [b'+' | b'-', h1, h2, m1, m2] => [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// Private contact details of a submitter: never shown in public, read only by the handling
/// department's staff, each read logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Name, at most 100 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// Telephone (a mobile or a landline with area code).
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
}

impl Contact {
    /// Whether nothing is given.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.phone.is_none() && self.email.is_none()
    }
}

/// Checks contact details: empty fields dropped, a name of at most 100 characters, a phone of
/// digits (with `+`, `-`, spaces) that is a mobile number or 7–15 digits long, a well-formed
/// e-mail address.
pub fn check_contact(c: Contact) -> Result<Contact, FeedbackError> {
    let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let (name, phone, email) = (clean(c.name), clean(c.phone), clean(c.email));
    if name.as_ref().is_some_and(|n| n.chars().count() > 100) {
        return Err(FeedbackError::Contact("name"));
    }
    if let Some(p) = &phone {
        let digits: String = p.chars().filter(char::is_ascii_digit).collect();
        let shape = p
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'));
        if !shape || !(is_mobile(&digits) || (7..=15).contains(&digits.len())) {
            return Err(FeedbackError::Contact("phone"));
        }
    }
    if email
        .as_ref()
        .is_some_and(|e| !is_email(e) || e.len() > 200)
    {
        return Err(FeedbackError::Contact("email"));
    }
    Ok(Contact { name, phone, email })
}

/// Counts of feedback items in one group (a service, a department, a month).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedbackCounts {
    /// Items submitted.
    pub total: i64,
    /// Items resolved.
    pub resolved: i64,
    /// Items rejected.
    pub rejected: i64,
    /// Items overdue now.
    pub overdue: i64,
    /// Ratings given.
    pub rated: i64,
    /// Sum of the ratings given.
    pub rating_sum: i64,
}

impl FeedbackCounts {
    /// Adds another group's counts.
    pub fn add(&mut self, o: &FeedbackCounts) {
        self.total += o.total;
        self.resolved += o.resolved;
        self.rejected += o.rejected;
        self.overdue += o.overdue;
        self.rated += o.rated;
        self.rating_sum += o.rating_sum;
    }

    /// Closed items (resolved or rejected).
    pub fn closed(&self) -> i64 {
        self.resolved + self.rejected
    }

    /// Share of submitted items that are resolved; `None` when there are none.
    pub fn resolution_rate(&self) -> Option<f64> {
        (self.total > 0).then(|| self.resolved as f64 / self.total as f64)
    }

    /// Mean satisfaction of the rated items; `None` when none is rated.
    pub fn mean_rating(&self) -> Option<f64> {
        (self.rated > 0).then(|| self.rating_sum as f64 / self.rated as f64)
    }
}

/// The month (`YYYYMM`, China Standard Time) of a time, for the monthly trend.
pub use crate::calendar::cst_month;

impl FromStr for Position {
    type Err = FeedbackError;
    /// Parses `lat,long`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b) = s.split_once(',').ok_or(FeedbackError::Coordinates)?;
        let lat = a.trim().parse().map_err(|_| FeedbackError::Coordinates)?;
        let long = b.trim().parse().map_err(|_| FeedbackError::Coordinates)?;
        match check_location(Some(lat), Some(long), None)? {
            (Some(p), _) => Ok(p),
            _ => Err(FeedbackError::Coordinates),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6},{:.6}", self.lat, self.long)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use FeedbackEvent as E;
    use FeedbackStatus as S;

    fn check(from: S, event: E, expected: Option<S>) {
        assert_eq!(transition(from, event).ok(), expected, "{from} {event}");
    }

    #[test]
    fn the_workflow() {
        check(S::Submitted, E::Accept, Some(S::Accepted));
        check(S::Submitted, E::Reject, Some(S::Rejected));
        check(S::Submitted, E::Start, None);
        check(S::Submitted, E::Resolve, None);
        check(S::Accepted, E::Start, Some(S::InProgress));
        check(S::Accepted, E::Resolve, Some(S::Resolved));
        check(S::InProgress, E::Resolve, Some(S::Resolved));
        check(S::InProgress, E::Accept, None);
        check(S::InProgress, E::Transfer, None);
        check(S::Accepted, E::Transfer, Some(S::Submitted));
        check(S::Resolved, E::Reopen, Some(S::Submitted));
        check(S::Rejected, E::Reopen, Some(S::Submitted));
        check(S::InProgress, E::Reopen, None);
        check(S::Resolved, E::Note, None);
        check(S::InProgress, E::Note, Some(S::InProgress));
        check(S::Submitted, E::Rate, None);
        check(S::Resolved, E::Rate, Some(S::Resolved));
        check(S::Resolved, E::Hide, Some(S::Resolved));
        check(S::Resolved, E::Submit, None);
        assert_eq!(
            transition(S::Resolved, E::Accept).unwrap_err().to_string(),
            "an item that is resolved cannot be accepted"
        );
    }

    proptest! {
        #[test]
        fn closed_items_only_take_reopen_rate_and_hide(i in 0usize..5, j in 0usize..10) {
            let (from, event) = (S::ALL[i], E::ALL[j]);
            if let Ok(to) = transition(from, event) {
                if from.is_closed() {
                    prop_assert!(matches!(event, E::Reopen | E::Rate | E::Hide));
                }
                if event == E::Reopen || event == E::Transfer {
                    prop_assert_eq!(to, S::Submitted);
                }
            }
        }
    }

    #[test]
    fn deadlines_fall_at_midnight_in_beijing() {
        // 2026-12-01T10:00+08:00 = 2026-12-01T02:00Z.
        let submitted = 1_796_090_400_000;
        let due = due_at(submitted, 3);
        // Due from 2026-12-05T00:00+08:00 = 2026-12-04T16:00Z.
        assert_eq!(due, 1_796_400_000_000);
        assert!(!is_overdue(S::Submitted, due, due - 1));
        assert!(is_overdue(S::Submitted, due, due));
        assert!(!is_overdue(S::Accepted, due, due + 1));
        assert_eq!(cst_month(submitted), 202612);
        assert_eq!(cst_month(0), 197001);
        // 2026-11-30T16:00Z is already December in Beijing.
        assert_eq!(cst_month(1_796_054_400_000), 202612);
        assert_eq!(cst_month(1_796_054_400_000 - 1), 202611);
    }

    #[test]
    fn ratings_and_reopening() {
        assert_eq!(
            check_rating(S::InProgress, 5, false),
            Err(FeedbackError::NotAllowed {
                from: S::InProgress,
                event: E::Rate
            })
        );
        assert_eq!(
            check_rating(S::Resolved, 0, false),
            Err(FeedbackError::Rating)
        );
        assert_eq!(
            check_rating(S::Resolved, 6, false),
            Err(FeedbackError::Rating)
        );
        assert_eq!(
            check_rating(S::Resolved, 5, true),
            Err(FeedbackError::AlreadyRated)
        );
        assert_eq!(check_rating(S::Rejected, 1, false), Ok(()));
        let closed = 1_000 * DAY_MS;
        assert_eq!(
            check_reopen(S::Resolved, 0, Some(closed), closed + DAY_MS),
            Ok(())
        );
        assert_eq!(
            check_reopen(S::Resolved, 0, Some(closed), closed + 30 * DAY_MS),
            Ok(())
        );
        assert_eq!(
            check_reopen(S::Resolved, 0, Some(closed), closed + 30 * DAY_MS + 1),
            Err(FeedbackError::Reopen)
        );
        assert_eq!(
            check_reopen(S::Resolved, 1, Some(closed), closed + 1),
            Err(FeedbackError::Reopen)
        );
        assert!(check_reopen(S::Accepted, 0, None, closed).is_err());
    }

    #[test]
    fn locations() {
        assert_eq!(
            check_location(Some(30.27), Some(120.15), None).unwrap(),
            (
                Some(Position {
                    lat: 30.27,
                    long: 120.15
                }),
                None
            )
        );
        assert_eq!(
            check_location(None, None, Some("  杭州市西湖区文三路 90 号 ")).unwrap(),
            (None, Some("杭州市西湖区文三路 90 号".into()))
        );
        for (lat, long) in [
            (Some(90.5), Some(0.0)),
            (Some(-91.0), Some(0.0)),
            (Some(0.0), Some(180.01)),
            (Some(f64::NAN), Some(0.0)),
            (Some(0.0), None),
            (None, Some(0.0)),
        ] {
            assert_eq!(
                check_location(lat, long, Some("x")),
                Err(FeedbackError::Coordinates)
            );
        }
        assert_eq!(
            check_location(None, None, Some("  ")),
            Err(FeedbackError::NoLocation)
        );
        assert_eq!("30.2,120.1".parse::<Position>().unwrap().lat, 30.2);
        assert!("91,0".parse::<Position>().is_err());
    }

    #[test]
    fn personal_information_is_masked_in_public_text() {
        let text =
            "我的电话13812345678，身份证110101199003074514，卡号6222021234567890128。路灯坏了";
        let public = public_text(text);
        assert!(!public.contains("13812345678"), "{public}");
        assert!(!public.contains("110101199003074514"), "{public}");
        assert!(!public.contains("6222021234567890128"), "{public}");
        assert!(public.ends_with("路灯坏了"));
        assert!(public.starts_with("我的电话138"));
        assert_eq!(
            public_text("2026 年 12 月，路灯 3 盏"),
            "2026 年 12 月，路灯 3 盏"
        );
    }

    fn attr(code: &str, datatype: AttributeType, required: bool, keys: &[&str]) -> Attribute {
        Attribute {
            code: code.into(),
            datatype,
            required,
            description: format!("{code}?"),
            datatype_description: String::new(),
            order: 0,
            values: keys
                .iter()
                .map(|k| AttributeValue {
                    key: (*k).into(),
                    name: k.to_uppercase(),
                })
                .collect(),
        }
    }

    #[test]
    fn service_attributes() {
        let defs = check_attributes(vec![
            attr(
                "kind",
                AttributeType::SingleValueList,
                true,
                &["pole", "lamp"],
            ),
            attr("count", AttributeType::Number, false, &[]),
            attr("seen", AttributeType::Datetime, false, &[]),
            attr("tags", AttributeType::MultiValueList, false, &["a", "b"]),
        ])
        .unwrap();
        let answers = |pairs: &[(&str, &[&str])]| -> BTreeMap<String, Vec<String>> {
            pairs
                .iter()
                .map(|(k, vs)| ((*k).to_string(), vs.iter().map(|v| v.to_string()).collect()))
                .collect()
        };
        let ok = check_answers(
            &defs,
            &answers(&[
                ("kind", &["lamp"]),
                ("count", &["3"]),
                ("seen", &["2026-12-01T08:30:00+08:00"]),
                ("tags", &["a", "b"]),
            ]),
        )
        .unwrap();
        assert_eq!(ok.len(), 4);
        assert_eq!(
            check_answers(&defs, &answers(&[("count", &["3"])])),
            Err(FeedbackError::MissingAttribute("kind".into()))
        );
        assert_eq!(
            check_answers(&defs, &answers(&[("kind", &["tree"])])),
            Err(FeedbackError::AttributeValue {
                code: "kind".into(),
                value: "tree".into()
            })
        );
        assert_eq!(
            check_answers(
                &defs,
                &answers(&[("kind", &["pole"]), ("colour", &["red"])])
            ),
            Err(FeedbackError::UnknownAttribute("colour".into()))
        );
        assert!(check_answers(&defs, &answers(&[("kind", &["pole", "lamp"])])).is_err());
        assert!(check_answers(&defs, &answers(&[("kind", &["pole"]), ("count", &["x"])])).is_err());
        assert!(check_answers(
            &defs,
            &answers(&[("kind", &["pole"]), ("seen", &["yesterday"])])
        )
        .is_err());
        // Bad definitions.
        assert!(
            check_attributes(vec![attr("k", AttributeType::SingleValueList, false, &[])]).is_err()
        );
        assert!(check_attributes(vec![attr("k", AttributeType::Number, false, &["a"])]).is_err());
        assert!(check_attributes(vec![attr("k k", AttributeType::Number, false, &[])]).is_err());
        assert!(check_attributes(vec![
            attr("k", AttributeType::Number, false, &[]),
            attr("k", AttributeType::Text, false, &[])
        ])
        .is_err());
    }

    #[test]
    fn datetimes() {
        for ok in [
            "2026-12-01",
            "2026-12-01T08:30",
            "2026-12-01T08:30:00Z",
            "2026-12-01T08:30:00.123+08:00",
            "2026-12-01 08:30:00-0500",
        ] {
            assert!(is_iso_datetime(ok), "{ok}");
        }
        for bad in [
            "",
            "2026-13-01",
            "2026-12-01T24:00",
            "2026-12-01T08:30:00+8",
            "12/01/2026",
        ] {
            assert!(!is_iso_datetime(bad), "{bad}");
        }
    }

    #[test]
    fn contacts() {
        let c = check_contact(Contact {
            name: Some(" 张三 ".into()),
            phone: Some("138-1234-5678".into()),
            email: Some("".into()),
        })
        .unwrap();
        assert_eq!(c.name.as_deref(), Some("张三"));
        assert_eq!(c.email, None);
        assert!(check_contact(Contact {
            phone: Some("call me".into()),
            ..Contact::default()
        })
        .is_err());
        assert!(check_contact(Contact {
            email: Some("not-an-address".into()),
            ..Contact::default()
        })
        .is_err());
        assert!(check_contact(Contact::default()).unwrap().is_empty());
    }

    #[test]
    fn counts() {
        let mut a = FeedbackCounts {
            total: 4,
            resolved: 2,
            rejected: 1,
            overdue: 1,
            rated: 2,
            rating_sum: 9,
        };
        a.add(&FeedbackCounts {
            total: 1,
            ..FeedbackCounts::default()
        });
        assert_eq!(a.closed(), 3);
        assert_eq!(a.resolution_rate(), Some(0.4));
        assert_eq!(a.mean_rating(), Some(4.5));
        assert_eq!(FeedbackCounts::default().mean_rating(), None);
    }
}
