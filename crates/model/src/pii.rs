//! Personal-information detection (个人信息识别), DESIGN.md C3.
//!
//! Strong formats are recognised by value and checked with their check digits (citizen ID, bank
//! card, unified social credit code) or exact patterns (mobile, email). Birth dates, names and
//! addresses have no such structure, so they are best effort: a column-name hint together with
//! values of the right shape.

use crate::classification::{string_enum, Grade};
use crate::ident;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// A kind of personal (or identifying) information found in a column.
    PiiKind, "personal information kind" {
        /// 公民身份号码 (GB 11643).
        CitizenId => "citizen_id", "身份证号", "Citizen ID";
        /// 手机号码.
        Mobile => "mobile", "手机号码", "Mobile number";
        /// 银行卡号 (Luhn).
        BankCard => "bank_card", "银行卡号", "Bank card";
        /// 电子邮箱.
        Email => "email", "电子邮箱", "Email";
        /// 出生日期.
        BirthDate => "birth_date", "出生日期", "Birth date";
        /// 姓名.
        PersonName => "person_name", "姓名", "Person name";
        /// 住址.
        Address => "address", "地址", "Address";
        /// 统一社会信用代码: identifies an enterprise, not a person.
        Uscc => "uscc", "统一社会信用代码", "Unified social credit code";
    }
}

impl PiiKind {
    /// Default grade of a column holding this kind of information.
    pub fn default_grade(self) -> Grade {
        match self {
            PiiKind::CitizenId | PiiKind::BankCard => Grade::L4,
            PiiKind::Mobile
            | PiiKind::Email
            | PiiKind::BirthDate
            | PiiKind::PersonName
            | PiiKind::Address => Grade::L3,
            PiiKind::Uscc => Grade::L1,
        }
    }

    /// Whether this kind is information about a natural person.
    pub fn is_personal(self) -> bool {
        self != PiiKind::Uscc
    }
}

/// Recognises one value of a strongly structured kind; `None` for anything else.
pub fn detect_value(raw: &str) -> Option<PiiKind> {
    let v = raw.trim();
    let len = v.len();
    if len == 18 && ident::is_valid_citizen_id(v) {
        return Some(PiiKind::CitizenId);
    }
    if len == 18 && ident::is_valid_uscc(v) {
        return Some(PiiKind::Uscc);
    }
    if is_mobile(v) {
        return Some(PiiKind::Mobile);
    }
    if (16..=19).contains(&len) && ident::is_luhn_card(v) {
        return Some(PiiKind::BankCard);
    }
    if is_email(v) {
        return Some(PiiKind::Email);
    }
    None
}

/// A mainland mobile number: `1[3-9]` and nine digits, optionally after `+86`, `86` or `0086`.
pub fn is_mobile(v: &str) -> bool {
    let v = v
        .strip_prefix("+86")
        .or_else(|| v.strip_prefix("0086"))
        .unwrap_or(v);
    let v = v.trim_start_matches(['-', ' ']);
    let b = v.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// A plausible email address: one `@`, a local part, and a dotted domain, no spaces.
pub fn is_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !v.chars().any(char::is_whitespace)
}

/// Common Chinese surnames, for the best-effort name detector.
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝";

/// Compound surnames (复姓), each followed by a one- or two-character given name.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙", "长孙", "宇文",
    "夏侯", "司徒", "端木", "申屠", "澹台", "西门", "南宫", "百里", "呼延", "万俟", "闻人", "轩辕",
    "独孤", "钟离", "赫连", "司空", "太史", "公冶",
];

/// Last characters of places, streets and organisations that a given name practically never
/// ends in: 西湖区, 文三路, 李家村, 公安局, 陆家嘴, 彭埠, 发改委.
const PLACE_OR_ORG_ENDINGS: &str = "区市县省镇乡村庄屯寨营路街巷弄道港湾桥口坝塘埠岭坡渡浦泾浜堡站场苑局委厅署办处所院校馆厂司社队组部楼厦寺塔湖池坑岗墩滩圩岛嘴店铺集坊关总工";

/// Words at the end of a value that name a role, a place or an organisation rather than a
/// person: 王经理, 李老师, 金桥中心, 龙湖花园.
const ROLE_OR_PLACE_WORDS: &[&str] = &[
    "经理", "主任", "老师", "医生", "师傅", "先生", "女士", "小姐", "同志", "科长", "处长", "局长",
    "书记", "主席", "总监", "专员", "助理", "护士", "律师", "会计", "司机", "厨师", "警官", "教授",
    "博士", "阿姨", "老板", "中心", "集团", "银行", "大厦", "花园", "公园", "广场", "超市", "新村",
];

/// Characters of food, goods and trades that given names do not use: 黄瓜, 牛肉, 宫保鸡丁,
/// 麻婆豆腐, 金针菇, 柴油.
const NEVER_IN_GIVEN_NAMES: &str = "鸡鸭鹅肉腐菜瓜汤面饭粥丝排骨虾蟹蛋饼饺糕酱醋椒葱蒜薯豆粉卷锅煲炒烧炖蒸烤煎炸焖菇笋藕茄枣梨橘橙柚榴蕉莓萄奶酪酒盐糖油机床桌椅柜箱袋瓶罐盒纸笔灯线管阀泵件剂药膏材泥钢铁丁";

fn sorted_chars(s: &str) -> Vec<char> {
    let mut v: Vec<char> = s.chars().collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn in_set(set: &std::sync::OnceLock<Vec<char>>, source: &str, c: char) -> bool {
    set.get_or_init(|| sorted_chars(source))
        .binary_search(&c)
        .is_ok()
}

/// Whether `c` is one of the common single surnames.
pub fn is_common_surname(c: char) -> bool {
    static SET: std::sync::OnceLock<Vec<char>> = std::sync::OnceLock::new();
    in_set(&SET, SURNAMES, c)
}

/// A value shaped like a Chinese personal name: 2–4 Han characters starting with a common surname.
pub fn looks_like_person_name(v: &str) -> bool {
    let v = v.trim();
    let n = v.chars().count();
    if !(2..=4).contains(&n) || !v.chars().all(is_han) {
        return false;
    }
    v.chars().next().is_some_and(is_common_surname)
}

/// A value shaped like a Chinese personal name and like nothing else that often looks like one:
/// a common single or compound surname followed by a one- or two-character given name, all Han,
/// that does not end like a place, a street, an organisation or a role (区, 路, 村, 局, 经理,
/// 中心…) and holds none of the characters of food and goods that given names do not use. Used to
/// find name columns by their content, without a header that says so.
pub fn shaped_like_person_name(v: &str) -> bool {
    static ENDINGS: std::sync::OnceLock<Vec<char>> = std::sync::OnceLock::new();
    static NEVER: std::sync::OnceLock<Vec<char>> = std::sync::OnceLock::new();
    let v = v.trim();
    let chars: Vec<char> = v.chars().take(5).collect();
    if !(2..=4).contains(&chars.len()) || !chars.iter().all(|c| is_han(*c) && *c != '·') {
        return false;
    }
    let surname = if COMPOUND_SURNAMES.iter().any(|s| v.starts_with(s)) && chars.len() >= 3 {
        2
    } else if is_common_surname(chars[0]) && chars.len() <= 3 {
        1
    } else {
        return false;
    };
    let given = &chars[surname..];
    let last = given[given.len() - 1];
    !in_set(&ENDINGS, PLACE_OR_ORG_ENDINGS, last)
        && !given
            .iter()
            .any(|c| in_set(&NEVER, NEVER_IN_GIVEN_NAMES, *c))
        && !ROLE_OR_PLACE_WORDS.iter().any(|w| v.ends_with(w))
}

/// Share of a column's non-empty values that must be [`shaped_like_person_name`] for the column
/// to be a name column by its content alone (without a header hint).
pub const NAME_CONTENT_THRESHOLD: f64 = 0.75;

/// Fewest non-empty values a column needs before its content alone can make it a name column.
pub const NAME_CONTENT_MIN_VALUES: u64 = 3;

/// Whether a column with `values` non-empty values of which `distinct` differ is as distinct as
/// a column of personal names: at least half its values differ, or at least 2,000 do (a long
/// register repeats common names). Districts, categories and product lists repeat far more.
pub fn highly_distinct(values: u64, distinct: u64) -> bool {
    values > 0 && (distinct.saturating_mul(2) >= values || distinct >= 2_000)
}

/// A value shaped like a street address: Han text with an administrative or street marker.
pub fn looks_like_address(v: &str) -> bool {
    let v = v.trim();
    if v.chars().count() < 6 || !v.chars().any(is_han) {
        return false;
    }
    let admin = ["省", "市", "区", "县", "镇", "乡"]
        .iter()
        .any(|m| v.contains(m));
    let street = ["路", "街", "巷", "号", "村", "弄", "小区", "大道"]
        .iter()
        .any(|m| v.contains(m));
    admin && street
}

/// A value shaped like a date (`YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`, `YYYY年MM月DD日`).
pub fn looks_like_date(v: &str) -> bool {
    let v = v.trim();
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    let shape_ok = v
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '/' | '.' | '年' | '月' | '日'));
    shape_ok
        && digits.len() == 8
        && ident::is_valid_date(&digits[0..4], &digits[4..6], &digits[6..8])
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '·')
}

/// What a column name suggests, for the kinds that values alone cannot show.
fn name_hint(column: &str) -> Option<PiiKind> {
    let c = column.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| c.contains(w));
    if has(&["出生", "生日", "birth", "dob"]) {
        Some(PiiKind::BirthDate)
    } else if has(&["姓名", "名字", "联系人", "法人代表", "name"])
        && !has(&[
            "企业", "单位", "公司", "机构", "org", "company", "file", "user",
        ])
    {
        Some(PiiKind::PersonName)
    } else if has(&["地址", "住址", "住所", "居住地", "户籍", "address", "addr"]) {
        Some(PiiKind::Address)
    } else {
        None
    }
}

/// A personal-information finding for one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PiiFinding {
    /// What was found.
    pub kind: PiiKind,
    /// Values that matched.
    pub matches: u64,
    /// Non-empty values examined.
    pub scanned: u64,
}

impl PiiFinding {
    /// Share of examined values that matched.
    pub fn ratio(&self) -> f64 {
        if self.scanned == 0 {
            0.0
        } else {
            self.matches as f64 / self.scanned as f64
        }
    }
}

/// Share of non-empty values that must match before a column is reported.
pub const FINDING_THRESHOLD: f64 = 0.5;

const KINDS: usize = 8;

/// Scans the values of one column, one at a time, and reports what it holds.
#[derive(Debug, Clone)]
pub struct ColumnScanner {
    hint: Option<PiiKind>,
    scanned: u64,
    counts: [u64; KINDS],
    /// Values [`shaped_like_person_name`], for columns without a name hint.
    name_shaped: u64,
}

impl ColumnScanner {
    /// A scanner for the column with this header.
    pub fn new(column_name: &str) -> Self {
        ColumnScanner {
            hint: name_hint(column_name),
            scanned: 0,
            counts: [0; KINDS],
            name_shaped: 0,
        }
    }

    /// Examines one value; empty values are ignored.
    pub fn observe(&mut self, value: &str) {
        let v = value.trim();
        if v.is_empty() {
            return;
        }
        self.scanned += 1;
        if let Some(kind) = detect_value(v) {
            self.counts[kind as usize] += 1;
            return;
        }
        if self.hint != Some(PiiKind::PersonName) && shaped_like_person_name(v) {
            self.name_shaped += 1;
        }
        let weak = match self.hint {
            Some(PiiKind::BirthDate) if looks_like_date(v) => Some(PiiKind::BirthDate),
            Some(PiiKind::PersonName) if looks_like_person_name(v) => Some(PiiKind::PersonName),
            Some(PiiKind::Address) if looks_like_address(v) => Some(PiiKind::Address),
            // Without a hint only distinctive shapes count: a surname-led short Han string is
            // too common (place names, titles) to call a name on its own.
            None if looks_like_address(v) => Some(PiiKind::Address),
            _ => None,
        };
        if let Some(kind) = weak {
            self.counts[kind as usize] += 1;
        }
    }

    /// Non-empty values examined so far.
    pub fn scanned(&self) -> u64 {
        self.scanned
    }

    /// The kinds that matched at least [`FINDING_THRESHOLD`] of the values, most frequent first.
    /// `values` and `distinct` are the column's non-empty and distinct non-empty values (all of
    /// them, where the scanner may have seen a sample): without a header hint, a column is a
    /// name column when at least [`NAME_CONTENT_THRESHOLD`] of its values are
    /// [`shaped_like_person_name`] and it is [`highly_distinct`].
    pub fn findings(&self, values: u64, distinct: u64) -> Vec<PiiFinding> {
        let mut counts = self.counts;
        let by_content = self.hint != Some(PiiKind::PersonName)
            && values >= NAME_CONTENT_MIN_VALUES
            && self.scanned > 0
            && self.name_shaped as f64 >= NAME_CONTENT_THRESHOLD * self.scanned as f64
            && highly_distinct(values, distinct);
        if by_content {
            counts[PiiKind::PersonName as usize] = self.name_shaped;
        }
        let mut out: Vec<PiiFinding> = PiiKind::ALL
            .iter()
            .map(|k| PiiFinding {
                kind: *k,
                matches: counts[*k as usize],
                scanned: self.scanned,
            })
            .filter(|f| f.matches > 0 && f.ratio() >= FINDING_THRESHOLD)
            .collect();
        out.sort_by_key(|f| std::cmp::Reverse(f.matches));
        out
    }
}

/// The grade proposed for a column with these findings: the strictest default among them, L1 if none.
pub fn proposed_grade(findings: &[PiiFinding]) -> Grade {
    findings
        .iter()
        .map(|f| f.kind.default_grade())
        .max()
        .unwrap_or(Grade::L1)
}

/// The kinds of personal information that free text must not carry in public (a demand, a
/// comment, a feedback description): citizen IDs, bank card numbers and mobile numbers.
pub const TEXT_KINDS: &[PiiKind] = &[PiiKind::CitizenId, PiiKind::BankCard, PiiKind::Mobile];

/// Where personal information of [`TEXT_KINDS`] stands in free text: the byte range and kind of
/// each match, in order. A candidate is a maximal run of ASCII or full-width digits (a citizen ID
/// may end in `X`/`x`), optionally after `+86`; it counts only if it passes the kind's own check
/// (check character, Luhn, mobile prefix), so ordinary numbers (years, amounts, phone extensions)
/// do not.
pub fn find_in_text(text: &str) -> Vec<(std::ops::Range<usize>, PiiKind)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if ascii_digit(c).is_none() {
            continue;
        }
        let mut digits = String::new();
        digits.push(ascii_digit(c).unwrap_or('0'));
        let mut end = start + c.len_utf8();
        while let Some(&(i, d)) = chars.peek() {
            match ascii_digit(d) {
                Some(a) => {
                    digits.push(a);
                    end = i + d.len_utf8();
                    chars.next();
                }
                None => break,
            }
        }
        // A citizen ID may end in X.
        if digits.len() == 17 {
            if let Some(&(i, x)) = chars.peek() {
                if x == 'X' || x == 'x' || x == 'Ｘ' {
                    digits.push('X');
                    end = i + x.len_utf8();
                    chars.next();
                }
            }
        }
        // Part of a longer token (letters glued on) is not a number of its own.
        let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphabetic());
        if glued(text[..start].chars().next_back()) || glued(text[end..].chars().next()) {
            continue;
        }
        let kind = if digits.len() == 18 && crate::ident::is_valid_citizen_id(&digits) {
            Some(PiiKind::CitizenId)
        } else if is_mobile(&digits) {
            Some(PiiKind::Mobile)
        } else if (16..=19).contains(&digits.len()) && crate::ident::is_luhn_card(&digits) {
            Some(PiiKind::BankCard)
        } else {
            None
        };
        if let Some(kind) = kind {
            out.push((start..end, kind));
        }
    }
    out
}

/// The kinds of [`TEXT_KINDS`] found in `text`, each once, in order of first appearance.
pub fn kinds_in_text(text: &str) -> Vec<PiiKind> {
    let mut kinds = Vec::new();
    for (_, k) in find_in_text(text) {
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    kinds
}

fn ascii_digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(name: &str, values: &[&str]) -> Vec<PiiKind> {
        let mut s = ColumnScanner::new(name);
        for v in values {
            s.observe(v);
        }
        let non_empty: Vec<&str> = values
            .iter()
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        let distinct = non_empty
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        s.findings(non_empty.len() as u64, distinct as u64)
            .into_iter()
            .map(|f| f.kind)
            .collect()
    }

    #[test]
    fn values() {
        assert_eq!(detect_value("11010519491231002X"), Some(PiiKind::CitizenId));
        assert_eq!(detect_value("13812345678"), Some(PiiKind::Mobile));
        assert_eq!(detect_value("+8613812345678"), Some(PiiKind::Mobile));
        assert_eq!(detect_value("12812345678"), None);
        assert_eq!(detect_value("4111111111111111"), Some(PiiKind::BankCard));
        assert_eq!(detect_value("zhang.san@example.cn"), Some(PiiKind::Email));
        assert_eq!(detect_value("not an email@"), None);
        assert_eq!(detect_value("hello"), None);
    }

    #[test]
    fn columns() {
        assert_eq!(
            scan("phone", &["13812345678", "15900001111", ""]),
            vec![PiiKind::Mobile]
        );
        assert_eq!(
            scan("姓名", &["张三", "李四", "王小明"]),
            vec![PiiKind::PersonName]
        );
        assert_eq!(scan("站点", &["张江", "李家村"]), Vec::<PiiKind>::new());
        assert_eq!(
            scan("出生日期", &["1990-01-02", "1985/12/31"]),
            vec![PiiKind::BirthDate]
        );
        assert_eq!(
            scan("开业日期", &["1990-01-02", "1985/12/31"]),
            Vec::<PiiKind>::new()
        );
        assert_eq!(
            scan(
                "住址",
                &["浙江省杭州市西湖区文三路100号", "杭州市上城区解放路1号"]
            ),
            vec![PiiKind::Address]
        );
        assert_eq!(scan("count", &["1", "2", "3"]), Vec::<PiiKind>::new());
        // A minority of matches is not a finding.
        assert_eq!(
            scan("note", &["13812345678", "a", "b", "c"]),
            Vec::<PiiKind>::new()
        );
    }

    #[test]
    fn grades() {
        let f = |kind| PiiFinding {
            kind,
            matches: 1,
            scanned: 1,
        };
        assert_eq!(proposed_grade(&[]), Grade::L1);
        assert_eq!(proposed_grade(&[f(PiiKind::Mobile)]), Grade::L3);
        assert_eq!(
            proposed_grade(&[f(PiiKind::Mobile), f(PiiKind::CitizenId)]),
            Grade::L4
        );
        assert_eq!(proposed_grade(&[f(PiiKind::Uscc)]), Grade::L1);
    }

    #[test]
    fn personal_information_is_found_in_free_text() {
        let id = "11010519491231002X";
        assert!(crate::ident::is_valid_citizen_id(id));
        let text = format!("请开放数据，联系人身份证{id}，电话13812345678。");
        let found = find_in_text(&text);
        assert_eq!(
            found.iter().map(|(_, k)| *k).collect::<Vec<_>>(),
            vec![PiiKind::CitizenId, PiiKind::Mobile]
        );
        assert_eq!(&text[found[0].0.clone()], id);
        assert_eq!(&text[found[1].0.clone()], "13812345678");
        // Full-width digits count, and a lower-case x.
        assert_eq!(
            kinds_in_text("电话：１３８１２３４５６７８"),
            vec![PiiKind::Mobile]
        );
        assert_eq!(kinds_in_text(&id.to_lowercase()), vec![PiiKind::CitizenId]);
        // A bank card passes Luhn; the same digits with a wrong check digit do not.
        assert_eq!(kinds_in_text("4111111111111111"), vec![PiiKind::BankCard]);
        assert!(kinds_in_text("4111111111111112").is_empty());
    }

    #[test]
    fn ordinary_numbers_in_text_are_not_personal() {
        for text in [
            "2025年上半年的公交客流，按月统计，共 12 个月。",
            "金额 13800000.50 元",
            "编号 A13812345678B",
            "1381234567",
            "电话 0571-88888888",
            "",
        ] {
            assert!(find_in_text(text).is_empty(), "{text}");
        }
    }
}
