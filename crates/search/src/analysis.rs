//! Text analysis: the jieba tokenizer adapter, stop words, pinyin, and how a user's query text
//! becomes words to look up.
//!
//! Indexing and querying share one analyzer ([`catalog_analyzer`]) so that a term produced on one
//! side is spelled exactly as on the other: jieba search-mode segmentation, lower-casing with
//! full-width ASCII folded to half-width, a short stop-word list, then the English Snowball
//! stemmer (which leaves Chinese words alone: its suffix rules only match ASCII letters).

use std::collections::HashSet;
use std::sync::LazyLock;

use jieba_rs::Jieba;
use pinyin::ToPinyin;
use tantivy::tokenizer::{Language, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer};

/// Name under which [`catalog_analyzer`] is registered with the index.
pub(crate) const CATALOG_TOKENIZER: &str = "gongshu_catalog";

/// Tokens longer than this many bytes (long digit runs, base64, URLs without separators) are not
/// worth a dictionary entry and are dropped.
const MAX_TOKEN_BYTES: usize = 64;

/// A query is cut to this many characters before analysis so that a pasted document cannot make
/// one search arbitrarily expensive.
const MAX_QUERY_CHARS: usize = 256;

/// At most this many words of a query are searched; the rest are ignored.
const MAX_QUERY_WORDS: usize = 32;

/// Loading jieba's default dictionary takes a noticeable fraction of a second and a few MB, so
/// every index in the process shares one.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Words that carry no meaning for catalog search. They are dropped on both the index and the
/// query side, which also makes a typed `AND` / `OR` / `NOT` harmless.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "not", "of",
    "on", "or", "the", "to", "with", "的", "了", "和", "与", "及", "或", "在", "是", "之", "等",
];

fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// Lower-cases `word`.
fn normalize(word: &str, out: &mut String) {
    out.clear();
    out.extend(word.chars().flat_map(char::to_lowercase));
}

/// The half-width form of a full-width ASCII character (ＣＳＶ, ２０２４), which Chinese input
/// methods often produce and jieba would cut letter by letter.
fn half_width(c: char) -> Option<char> {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0),
        0x3000 => Some(' '),
        _ => None,
    }
}

/// `text` with full-width ASCII folded to half-width, and for each byte offset of the folded
/// text (and its end) the corresponding offset in `text`; `None` when there is nothing to fold.
fn fold_full_width(text: &str) -> Option<(String, Vec<usize>)> {
    if !text.chars().any(|c| half_width(c).is_some()) {
        return None;
    }
    let mut folded = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    for (at, c) in text.char_indices() {
        let c = half_width(c).unwrap_or(c);
        map.extend(std::iter::repeat_n(at, c.len_utf8()));
        folded.push(c);
    }
    map.push(text.len());
    Some((folded, map))
}

/// Whether a jieba token can be searched at all: punctuation and white space cannot.
fn is_searchable(word: &str) -> bool {
    word.chars().any(char::is_alphanumeric)
}

/// Whether `c` is a CJK ideograph (the ranges jieba and pinyin care about).
pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// A tantivy [`Tokenizer`] over jieba's search mode.
///
/// Search mode emits, besides each word, the dictionary words inside it ("公交站点" gives 公交,
/// 站点 and 公交站点), so a query for a part finds the whole. Tokens are emitted in order of
/// start offset, longest first, which keeps tantivy's snippet windows well formed: a window
/// never has to reach back before its first token.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct JiebaTokenizer;

/// The token stream of [`JiebaTokenizer`]: the text is segmented eagerly, which is cheap next to
/// indexing and keeps the adapter simple.
pub(crate) struct JiebaTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = JiebaTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> JiebaTokenStream {
        let mut tokens: Vec<Token> = Vec::new();
        let mut buf = String::new();
        let folded = fold_full_width(text);
        let (cut_text, map) = match &folded {
            Some((folded, map)) => (folded.as_str(), Some(map)),
            None => (text, None),
        };
        let original = |offset: usize| map.map_or(offset, |m| m[offset]);
        for t in JIEBA.cut_for_search(cut_text, true) {
            if t.word.len() > MAX_TOKEN_BYTES || !is_searchable(t.word) {
                continue;
            }
            normalize(t.word, &mut buf);
            if is_stop_word(&buf) {
                continue;
            }
            tokens.push(Token {
                offset_from: original(t.byte_start),
                offset_to: original(t.byte_end),
                position: 0,
                text: buf.clone(),
                position_length: 1,
            });
        }
        tokens.sort_by(|a, b| {
            a.offset_from
                .cmp(&b.offset_from)
                .then(b.offset_to.cmp(&a.offset_to))
        });
        for (i, t) in tokens.iter_mut().enumerate() {
            t.position = i;
        }
        JiebaTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for JiebaTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// The analyzer used for every full-text field of the catalog (title, notes, tags, themes,
/// organization title, name).
pub(crate) fn catalog_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(JiebaTokenizer)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Runs `analyzer` over `text` and returns `(byte range, term)` for each token.
pub(crate) fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push((t.offset_from, t.offset_to, t.text.clone()));
    }
    out
}

/// The toneless pinyin of the Han characters of `word` ("公交" → "gongjiao") and their initials
/// ("gj"); `None` if `word` has no Han character. Other characters are left out, and ü is
/// spelled v as on a keyboard.
pub(crate) fn pinyin_of(word: &str) -> Option<(String, String)> {
    let mut full = String::new();
    let mut initials = String::new();
    for c in word.chars() {
        if !is_han(c) {
            continue;
        }
        if let Some(p) = c.to_pinyin() {
            let plain = p.plain();
            full.extend(plain.chars().map(|c| if c == 'ü' { 'v' } else { c }));
            initials.extend(plain.chars().next().map(|c| if c == 'ü' { 'v' } else { c }));
        }
    }
    (!full.is_empty()).then_some((full, initials))
}

/// The text indexed in the title's pinyin field: for each word of the title (search mode), its
/// pinyin and, for words of two or more characters, its initials, separated by spaces.
pub(crate) fn title_pinyin(analyzer: &mut TextAnalyzer, title: &str) -> String {
    let mut out = String::new();
    let mut seen = HashSet::new();
    for (from, to, _) in analyze(analyzer, title) {
        let word = &title[from..to];
        if let Some((full, initials)) = pinyin_of(word) {
            let multi = word.chars().filter(|c| is_han(*c)).count() >= 2;
            if seen.insert(full.clone()) {
                out.push_str(&full);
                out.push(' ');
            }
            if multi && seen.insert(initials.clone()) {
                out.push_str(&initials);
                out.push(' ');
            }
        }
    }
    out
}

/// One word of a user's query.
#[derive(Clone, Debug)]
pub(crate) struct QueryWord {
    /// The analyzed term of the whole word (stemmed, lower-cased).
    pub whole: String,
    /// Dictionary words inside a longer Chinese word, all of which a document must contain to
    /// match this word when it does not contain the whole word. Empty for short words.
    pub parts: Vec<String>,
    /// The word lower-cased, when it is ASCII letters that may be pinyin ("jiaotong", "jt").
    pub pinyin: Option<String>,
}

/// Cuts a user's query into words (jieba's default mode), dropping punctuation, operators and
/// stop words, so that quotes, colons, parentheses or `AND` never make a query fail.
pub(crate) fn query_words(analyzer: &mut TextAnalyzer, q: &str) -> Vec<QueryWord> {
    let q: String = q
        .chars()
        .take(MAX_QUERY_CHARS)
        .map(|c| half_width(c).unwrap_or(c))
        .collect();
    let mut words: Vec<QueryWord> = Vec::new();
    let mut buf = String::new();
    for t in JIEBA.cut(&q, true) {
        if words.len() >= MAX_QUERY_WORDS {
            break;
        }
        if !is_searchable(t.word) {
            continue;
        }
        normalize(t.word, &mut buf);
        if is_stop_word(&buf) {
            continue;
        }
        let tokens = analyze(analyzer, t.word);
        // The whole word is the token spanning the entire input; search mode adds the parts.
        let Some(whole_idx) = tokens
            .iter()
            .position(|(from, to, _)| *from == 0 && *to == t.word.len())
            .or(if tokens.len() == 1 { Some(0) } else { None })
        else {
            // A word the analyzer splits without keeping it whole (e.g. "covid-19"): each
            // searchable piece becomes a word of its own.
            for (_, _, term) in tokens {
                words.push(QueryWord {
                    pinyin: None,
                    whole: term,
                    parts: Vec::new(),
                });
            }
            continue;
        };
        let whole = tokens[whole_idx].2.clone();
        let mut parts: Vec<String> = Vec::new();
        for (i, (_, _, term)) in tokens.into_iter().enumerate() {
            if i != whole_idx && term != whole && !parts.contains(&term) {
                parts.push(term);
            }
        }
        let pinyin =
            (buf.len() >= 2 && buf.bytes().all(|b| b.is_ascii_lowercase())).then(|| buf.clone());
        if !words
            .iter()
            .any(|w| w.whole == whole && w.parts == parts && w.pinyin == pinyin)
        {
            words.push(QueryWord {
                whole,
                parts,
                pinyin,
            });
        }
    }
    words.truncate(MAX_QUERY_WORDS);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        analyze(&mut catalog_analyzer(), text)
            .into_iter()
            .map(|(_, _, t)| t)
            .collect()
    }

    #[test]
    fn search_mode_gives_parts_of_chinese_words() {
        let t = terms("杭州市公交站点");
        for w in ["公交", "站点", "杭州"] {
            assert!(t.contains(&w.to_string()), "{w} missing from {t:?}");
        }
    }

    #[test]
    fn english_is_lowercased_and_stemmed() {
        assert_eq!(terms("Bus Stops"), vec!["bus", "stop"]);
        assert_eq!(terms("ＣＳＶ"), vec!["csv"]);
        let tokens = analyze(&mut catalog_analyzer(), "下载ＣＳＶ文件");
        let csv = tokens.iter().find(|t| t.2 == "csv").expect("csv token");
        assert_eq!(&"下载ＣＳＶ文件"[csv.0..csv.1], "ＣＳＶ");
    }

    #[test]
    fn mixed_text_keeps_both_languages() {
        let t = terms("PM2.5空气质量 monitoring");
        assert!(t.contains(&"空气".to_string()), "{t:?}");
        assert!(t.contains(&"monitor".to_string()), "{t:?}");
    }

    #[test]
    fn punctuation_and_stop_words_are_dropped() {
        assert!(terms("\"(:) AND the 的").is_empty());
    }

    #[test]
    fn offsets_never_go_backwards() {
        let text = "中华人民共和国国家统计局公共交通站点数据";
        let tokens = analyze(&mut catalog_analyzer(), text);
        for pair in tokens.windows(2) {
            assert!(pair[0].0 <= pair[1].0, "{tokens:?}");
        }
    }

    #[test]
    fn pinyin_of_title_words() {
        assert_eq!(
            pinyin_of("公交"),
            Some(("gongjiao".to_string(), "gj".to_string()))
        );
        assert_eq!(pinyin_of("abc"), None);
        let p = title_pinyin(&mut catalog_analyzer(), "交通出行");
        assert!(p.contains("jiaotong"), "{p}");
        assert!(p.contains("jt"), "{p}");
    }

    #[test]
    fn query_words_split_operators_and_punctuation() {
        let words = query_words(&mut catalog_analyzer(), "a:b AND (交通) \"bus\"");
        let wholes: Vec<&str> = words.iter().map(|w| w.whole.as_str()).collect();
        assert_eq!(wholes, vec!["b", "交通", "bus"]);
    }
}
