//! Text normalisation shared by the importer: whitespace, punctuation width, entities.
//!
//! The published documents mix full- and half-width punctuation and carry stray
//! spaces from PDF extraction (`责任, 由乌恰县…`). Clean text keeps the wording
//! verbatim but writes punctuation next to Chinese text in its full-width form and
//! drops the spaces extraction put between Chinese characters.

/// Whether `c` is Chinese text or full-width punctuation (spaces next to it are artefacts).
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{2FDF}'   // radicals
        | '\u{3000}'..='\u{303F}' // CJK punctuation
        | '\u{3040}'..='\u{30FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FFEF}' // full-width forms
        | '\u{2018}'..='\u{201F}' // curly quotes
        | '\u{2026}' | '\u{2014}' | '\u{00B7}'
        | '\u{2460}'..='\u{2473}' // circled numbers
        | '\u{20000}'..='\u{2FA1F}')
}

/// The full-width form of half-width punctuation that Chinese text writes full-width.
fn full_width(c: char) -> Option<char> {
    Some(match c {
        ',' => '，',
        ';' => '；',
        ':' => '：',
        '(' => '（',
        ')' => '）',
        '!' => '！',
        '?' => '？',
        _ => return None,
    })
}

/// Clean a fragment of text: whitespace collapsed, spaces next to Chinese text
/// dropped, half-width punctuation next to Chinese text made full-width.
pub fn clean(s: &str) -> String {
    let words: Vec<char> = s
        .split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .flat_map(|w| std::iter::once(' ').chain(w.chars()))
        .skip(1)
        .collect();
    // Punctuation width first, so that a converted comma also swallows its space.
    let mut chars = words.clone();
    for i in 0..words.len() {
        if let Some(full) = full_width(words[i]) {
            let prev = words[..i].iter().rev().find(|c| **c != ' ');
            let next = words[i + 1..].iter().find(|c| **c != ' ');
            if prev.is_some_and(|c| is_cjk(*c)) || next.is_some_and(|c| is_cjk(*c)) {
                chars[i] = full;
            }
        }
    }
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            if prev.is_some_and(is_cjk) || next.is_some_and(is_cjk) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Strip the list punctuation an item ends with (`；`, `。`, `，`…): it separates
/// items in the document and is not part of the item's wording.
pub fn strip_item_end(s: &str) -> &str {
    s.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, '；' | ';' | '，' | ',' | '、' | '。')
    })
    .trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, '；' | ';' | '，' | ',' | '、' | '。' | '：' | ':')
    })
}

/// Fold full-width ASCII forms to ASCII and drop all whitespace: the key used to
/// compare headers and titles whatever their punctuation width and spacing.
pub fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Decode the HTML entities the documents use (`&nbsp;`, `&amp;`, numeric ones).
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "nbsp" => ' ',
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "ldquo" => '“',
                "rdquo" => '”',
                "hellip" => '…',
                _ => {
                    let code = if let Some(hex) =
                        name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
                    {
                        u32::from_str_radix(hex, 16).ok()
                    } else {
                        name.strip_prefix('#').and_then(|d| d.parse().ok())
                    };
                    code.and_then(char::from_u32)?
                }
            };
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The value of a Chinese numeral from 一 to 九十九.
pub fn chinese_number(s: &str) -> Option<u32> {
    fn digit(c: char) -> Option<u32> {
        "一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|p| p as u32 + 1)
    }
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_drops_extraction_spaces_and_widens_punctuation() {
        assert_eq!(
            clean("取消乡镇的责任, 由乌恰县人社局开展"),
            "取消乡镇的责任，由乌恰县人社局开展"
        );
        assert_eq!(
            clean("  1.编制集贸市场发展规划,合理布局 "),
            "1.编制集贸市场发展规划，合理布局"
        );
        assert_eq!(clean("审核(不涉及农用地)"), "审核（不涉及农用地）");
        assert_eq!(clean("政务 APP 和 12345 热线"), "政务APP和12345热线");
        assert_eq!(clean("use  the\tAPI, then"), "use the API, then");
    }

    #[test]
    fn item_end_punctuation_is_stripped() {
        assert_eq!(strip_item_end("做好公示； "), "做好公示");
        assert_eq!(strip_item_end("下发文件通知。"), "下发文件通知");
        assert_eq!(strip_item_end("（包括上牌）"), "（包括上牌）");
    }

    #[test]
    fn fold_ignores_width_and_spaces() {
        assert_eq!(fold("乡镇（街道）配合职责"), fold("乡镇(街道) 配合职责"));
        assert_eq!(fold("说 明"), "说明");
    }

    #[test]
    fn entities_are_decoded_and_broken_ones_kept() {
        assert_eq!(
            decode_entities("a&nbsp;b&amp;c&#20013;&#x6587;"),
            "a b&c中文"
        );
        assert_eq!(decode_entities("R&D &bogus; &"), "R&D &bogus; &");
    }

    #[test]
    fn chinese_numerals_parse() {
        assert_eq!(chinese_number("一"), Some(1));
        assert_eq!(chinese_number("十"), Some(10));
        assert_eq!(chinese_number("十二"), Some(12));
        assert_eq!(chinese_number("二十三"), Some(23));
        assert_eq!(chinese_number("零"), None);
    }
}
