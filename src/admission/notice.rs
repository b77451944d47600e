//! A notice (通知) → its tasks: one per numbered point, or one per line when it
//! has no numbered points. Pure.
//!
//! Points are numbered `一、`, `（一）`, `1.`/`1、`/`1．`, `（1）` or `①`, at the
//! start of a line or, within a line, after `；`/`。` or a space when the number
//! continues its style's count (so `15个工作日` or `3.5米` never start a point).
//! A point with deeper points under it is a heading (`一、安全生产`) and is not a
//! task itself; text before the first point (the salutation and preamble) and
//! the closing lines (`特此通知`, the issuer, the date) are not tasks either.
//! Unnumbered lines after a point continue it.

use std::sync::LazyLock;

use regex::Regex;

use crate::import::text::chinese_number;

/// Numbering styles, shallowest first: the level of a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Style {
    /// `一、`
    Chinese,
    /// `（一）`
    ParenChinese,
    /// `1.` `1、` `1．`
    Arabic,
    /// `（1）`
    ParenArabic,
    /// `①`
    Circled,
}

static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:([一二三四五六七八九十]{1,3})、|[（(]([一二三四五六七八九十]{1,3})[)）]|(\d{1,3})[.．、](?:[^\d]|$)|[（(](\d{1,3})[)）]|([①-⑳]))",
    )
    .expect("valid regex")
});

/// A numbering marker at the start of `rest`: its style, number and byte length.
fn marker(rest: &str) -> Option<(Style, u32, usize)> {
    let caps = MARKER.captures(rest)?;
    let whole = caps.get(0)?;
    if let Some(n) = caps.get(1) {
        return Some((Style::Chinese, chinese_number(n.as_str())?, whole.len()));
    }
    if let Some(n) = caps.get(2) {
        return Some((
            Style::ParenChinese,
            chinese_number(n.as_str())?,
            whole.len(),
        ));
    }
    if let Some(n) = caps.get(3) {
        // The marker is the digits and their dot; the character after it is not.
        return Some((
            Style::Arabic,
            n.as_str().parse().ok()?,
            n.end() + 1 + dot_extra(&rest[n.end()..]),
        ));
    }
    if let Some(n) = caps.get(4) {
        return Some((Style::ParenArabic, n.as_str().parse().ok()?, whole.len()));
    }
    let c = caps.get(5)?.as_str().chars().next()?;
    Some((Style::Circled, c as u32 - '①' as u32 + 1, whole.len()))
}

/// Bytes of the dot after an Arabic number beyond its first byte (`．` and `、` are three).
fn dot_extra(after_digits: &str) -> usize {
    after_digits.chars().next().map_or(0, |c| c.len_utf8() - 1)
}

/// One numbered or unnumbered stretch of the notice.
#[derive(Debug)]
struct Segment {
    level: Option<Style>,
    text: String,
}

/// Lines that close a notice or address it, never tasks.
fn is_boilerplate(line: &str) -> bool {
    static DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*(\d{4}|[〇零一二三四五六七八九]{4})\s*年[\s\d一二三四五六七八九十〇零]*月([\s\d一二三四五六七八九十〇零]*日)?\s*$")
            .expect("valid regex")
    });
    let t = line.trim().trim_end_matches(['。', '.']);
    t.is_empty()
        || DATE.is_match(t)
        || t.starts_with("特此通知")
        || t.starts_with("附件")
        || t.starts_with("联系人")
        || t.starts_with("联系电话")
        || (t.starts_with("关于") && (t.ends_with("通知") || t.ends_with("函")))
        || ((t.ends_with('：') || t.ends_with(':')) && t.chars().count() <= 20)
        || is_issuer(t)
}

/// The issuer's name alone on a line (`县应急管理局`): short, ending like an
/// organisation, and asking for nothing.
fn is_issuer(t: &str) -> bool {
    const SUFFIXES: &[&str] = &["局", "委", "办公室", "政府", "部", "中心", "指挥部"];
    const ASKS: &[&str] = &[
        "请", "配合", "协助", "开展", "做好", "组织", "完成", "落实", "负责", "排查", "宣传",
        "上报", "报送", "检查", "核查", "对接",
    ];
    t.chars().count() <= 20
        && SUFFIXES.iter().any(|s| t.ends_with(s))
        && !t.contains(['，', ',', '、'])
        && !ASKS.iter().any(|a| t.contains(a))
}

/// Split one line at its points.
fn split_line(line: &str, expected: &mut [u32; 5], out: &mut Vec<Segment>) {
    let mut start = 0;
    let mut level: Option<Style> = None;
    let mut prev: Option<char> = None;
    for (at, c) in line.char_indices() {
        let boundary = match prev {
            None => true,
            Some(p) => p.is_whitespace() || matches!(p, '；' | ';' | '。'),
        };
        prev = Some(c);
        if !boundary || c.is_whitespace() {
            continue;
        }
        let Some((style, n, len)) = marker(&line[at..]) else {
            continue;
        };
        let slot = &mut expected[style as usize];
        // At a line's start any number begins a point; inside a line only the next one.
        let line_start = line[..at].trim().is_empty();
        if !(line_start || n == *slot || n == 1 && *slot == 0) || n == 0 {
            continue;
        }
        push(out, level, &line[start..at]);
        *slot = n + 1;
        level = Some(style);
        start = (at + len).min(line.len());
    }
    push(out, level, &line[start..]);
}

fn push(out: &mut Vec<Segment>, level: Option<Style>, text: &str) {
    let text = text.trim();
    if level.is_none() && text.is_empty() {
        return;
    }
    out.push(Segment {
        level,
        text: text.to_owned(),
    });
}

/// The tasks of a notice, in order: trimmed, never empty.
pub fn tasks(notice: &str) -> Vec<String> {
    let mut segments: Vec<Segment> = Vec::new();
    let mut expected = [0u32; 5];
    for line in notice.lines() {
        if is_boilerplate(line) {
            continue;
        }
        split_line(line, &mut expected, &mut segments);
    }
    if segments.iter().all(|s| s.level.is_none()) {
        return segments
            .into_iter()
            .map(|s| clean(&s.text))
            .filter(|t| !t.is_empty())
            .collect();
    }
    // Unnumbered text after a point continues it; before the first, it is the preamble.
    let mut points: Vec<Segment> = Vec::new();
    for s in segments {
        match (s.level, points.last_mut()) {
            (Some(_), _) => points.push(s),
            (None, Some(last)) => {
                last.text.push_str(&s.text);
            }
            (None, None) => {}
        }
    }
    let mut out = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let heading = points.get(i + 1).is_some_and(|next| next.level > p.level);
        if !heading {
            let t = clean(&p.text);
            if !t.is_empty() {
                out.push(t);
            }
        }
    }
    out
}

fn clean(text: &str) -> String {
    text.trim()
        .trim_end_matches(['；', ';', '。', '，', ','])
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_points_are_tasks_and_the_preamble_and_closing_are_not() {
        let notice = "关于做好近期安全生产工作的通知\n各乡镇：\n为切实做好安全生产工作，现将有关事项通知如下：\n1. 开展燃气入户安全检查；\n2、组织消防安全宣传，\n重点是人员密集场所。\n3．上报隐患台账。\n特此通知。\n县应急管理局\n2025年7月1日";
        assert_eq!(
            tasks(notice),
            vec![
                "开展燃气入户安全检查",
                "组织消防安全宣传，重点是人员密集场所",
                "上报隐患台账"
            ]
        );
    }

    #[test]
    fn headings_with_points_under_them_are_not_tasks() {
        let notice = "一、安全生产\n（一）开展企业检查\n（二）排查隐患\n二、做好防汛物资储备\n三、消防\n1.宣传消防知识";
        assert_eq!(
            tasks(notice),
            vec![
                "开展企业检查",
                "排查隐患",
                "做好防汛物资储备",
                "宣传消防知识"
            ]
        );
    }

    #[test]
    fn points_within_a_line_split_only_where_the_count_continues() {
        assert_eq!(
            tasks("1.在15个工作日内完成公租房初审；2.做好3.5米以上道路巡查。"),
            vec!["在15个工作日内完成公租房初审", "做好3.5米以上道路巡查"]
        );
        assert_eq!(
            tasks("（1）摸排养犬户 （2）宣传文明养犬"),
            vec!["摸排养犬户", "宣传文明养犬"]
        );
    }

    #[test]
    fn without_numbers_every_line_is_a_task() {
        assert_eq!(
            tasks("开展控辍保学排查\n\n  组织义务植树  \n"),
            vec!["开展控辍保学排查", "组织义务植树"]
        );
        assert!(tasks("各乡镇：\n特此通知").is_empty());
        assert_eq!(tasks("请各乡镇做好低保复核"), vec!["请各乡镇做好低保复核"]);
    }
}
