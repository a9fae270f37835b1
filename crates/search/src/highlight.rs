//! Highlighting of titles and notes in hits, as HTML in which only `<mark>` is markup.

use std::collections::HashSet;

use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;

use crate::analysis::{self, QueryWord};

/// Characters of notes shown when the query does not occur in them.
const LEAD_CHARS: usize = 120;

/// Bytes of notes a snippet window may span: tantivy measures its window in bytes, so this is
/// about 80 Chinese characters or 240 Latin ones.
pub(crate) const SNIPPET_BYTES: usize = 240;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

/// The terms and pinyin spellings a hit's title is highlighted with.
pub(crate) struct TitleMarker {
    terms: HashSet<String>,
    pinyin: HashSet<String>,
}

impl TitleMarker {
    pub(crate) fn new(words: &[QueryWord]) -> TitleMarker {
        let mut terms = HashSet::new();
        let mut pinyin = HashSet::new();
        for w in words {
            terms.insert(w.whole.clone());
            terms.extend(w.parts.iter().cloned());
            if let Some(p) = &w.pinyin {
                pinyin.insert(p.clone());
            }
        }
        TitleMarker { terms, pinyin }
    }

    /// The whole title, escaped, with the words the query matched (directly or by pinyin) marked.
    pub(crate) fn mark(&self, analyzer: &mut TextAnalyzer, title: &str) -> String {
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        if !self.terms.is_empty() {
            for (from, to, term) in analysis::analyze(analyzer, title) {
                let by_pinyin = || {
                    !self.pinyin.is_empty()
                        && analysis::pinyin_of(&title[from..to]).is_some_and(|(full, initials)| {
                            self.pinyin.contains(&full)
                                || (initials.len() >= 2 && self.pinyin.contains(&initials))
                        })
                };
                if self.terms.contains(&term) || by_pinyin() {
                    ranges.push((from, to));
                }
            }
        }
        render(title, &mut ranges)
    }
}

/// Renders `text` escaped with the byte `ranges` (possibly overlapping, unsorted) marked.
fn render(text: &str, ranges: &mut [(usize, usize)]) -> String {
    ranges.sort_unstable();
    let mut out = String::with_capacity(text.len() + 16);
    let mut at = 0;
    let mut i = 0;
    while i < ranges.len() {
        let (start, mut end) = ranges[i];
        i += 1;
        while i < ranges.len() && ranges[i].0 < end {
            end = end.max(ranges[i].1);
            i += 1;
        }
        let start = start.max(at);
        if start >= end {
            continue;
        }
        escape(&text[at..start], &mut out);
        out.push_str("<mark>");
        escape(&text[start..end], &mut out);
        out.push_str("</mark>");
        at = end;
    }
    escape(&text[at..], &mut out);
    out
}

/// The notes snippet: the best window of the notes with query terms marked, or, when the notes
/// do not contain any (the hit matched on its title or tags), their first characters.
pub(crate) fn notes_snippet(generator: Option<&SnippetGenerator>, notes: &str) -> String {
    let mut out = String::new();
    if let Some(generator) = generator {
        let mut snippet = generator.snippet(notes);
        if !snippet.is_empty() && !snippet.highlighted().is_empty() {
            snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
            let range = snippet.fragment_range();
            if range.start > 0 {
                out.push('…');
            }
            out.push_str(&snippet.to_html());
            if range.end < notes.len() {
                out.push('…');
            }
            return out;
        }
    }
    let lead: String = notes.chars().take(LEAD_CHARS).collect();
    escape(&lead, &mut out);
    if lead.len() < notes.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn overlapping_ranges_are_marked_once() {
        let text = "公交站点<b>";
        let html = render(text, &mut [(6, 12), (0, 6), (0, 12)]);
        assert_eq!(html, "<mark>公交站点</mark>&lt;b&gt;");
    }

    #[test]
    fn nothing_marked_is_just_escaped() {
        assert_eq!(render("a & b", &mut []), "a &amp; b");
    }
}
