//! One table cell (HTML fragment or plain text) → sections, department headings and items.
//!
//! Cells come as `<p>`-paragraphs, `<ol>` lists (with or without `<li>`), or plain
//! text, and number their items `1.`, `1、`, `（1）`, `（一）` or `①`. A marker only
//! counts where an item can start (start of a paragraph, after a space or after
//! `；`/`。`) and when its number continues the list (or restarts it at 1), so a
//! `15个工作日` or `3.5米` inside an item never splits it.

use std::sync::LazyLock;

use regex::Regex;

use super::text::{chinese_number, clean, decode_entities, strip_item_end};

/// A piece of a cell, in document order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// A section heading such as `一、扬尘综合治理`; items up to the next one sit under it.
    Section(String),
    /// A department heading such as `县文旅局、县商信局：`, as the names it lists.
    Heading(Vec<String>),
    /// One item, clean text without its number.
    Item(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A paragraph, or text outside any tag.
    Paragraph,
    /// An `<ol>`/`<ul>` without `<li>`: items are separated by `；` or `。` and a space.
    List,
    /// One `<li>`: one item.
    ListItem,
}

struct Block {
    text: String,
    mode: Mode,
}

static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^<\s*(/?)\s*([A-Za-z][A-Za-z0-9]*)\b[^<>]*>").expect("valid regex")
});

/// Split a cell into blocks at block-level tags; inline tags are dropped.
fn blocks(raw: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut text = String::new();
    // Lists nest; documents also leave `<ol>` unclosed, so a list lasts to its
    // `</ol>` or the cell's end, and paragraphs inside it stay list blocks.
    let mut depth = 0usize;
    let mut in_item = false;
    let mut rest = raw;
    let mode = |depth: usize, in_item: bool| match (in_item, depth) {
        (true, _) => Mode::ListItem,
        (false, 0) => Mode::Paragraph,
        (false, _) => Mode::List,
    };
    let flush = |text: &mut String, mode: Mode, out: &mut Vec<Block>| {
        let decoded = decode_entities(text);
        if !decoded.trim().is_empty() {
            out.push(Block {
                text: decoded,
                mode,
            });
        }
        text.clear();
    };
    while let Some(at) = rest.find('<') {
        text.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(tag) = TAG.captures(rest) else {
            text.push('<');
            rest = &rest[1..];
            continue;
        };
        let closing = !tag[1].is_empty();
        let name = tag[2].to_ascii_lowercase();
        rest = &rest[tag[0].len()..];
        match name.as_str() {
            "ol" | "ul" => {
                flush(&mut text, mode(depth, in_item), &mut out);
                depth = if closing {
                    depth.saturating_sub(1)
                } else {
                    depth + 1
                };
                in_item = false;
            }
            "li" => {
                flush(&mut text, mode(depth, in_item), &mut out);
                in_item = !closing;
            }
            "p" | "div" | "br" | "tr" | "td" | "th" | "table" | "h1" | "h2" | "h3" | "h4"
            | "h5" | "h6" => {
                if in_item {
                    // A line break or paragraph inside one `<li>` is still that item.
                    text.push(' ');
                } else {
                    flush(&mut text, mode(depth, in_item), &mut out);
                }
            }
            _ => {}
        }
    }
    text.push_str(rest);
    flush(&mut text, mode(depth, in_item), &mut out);
    out
}

/// Marker styles, each numbered on its own so nested lists do not break the count.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Arabic,
    ParenArabic,
    ParenChinese,
    Circled,
}

static ITEM_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(\d{1,3})[.．、]|[（(](\d{1,3})[)）]|[（(]([一二三四五六七八九十]{1,3})[)）]|([①-⑳]))\s*")
        .expect("valid regex")
});
static SECTION_MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([一二三四五六七八九十]{1,3})、").expect("valid regex"));
static HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([^\s：:，,。；;“”（）()<>]{2,80}?)\s*[：:]\s*").expect("valid regex")
});

/// Suffixes of organisation names; a `XX：` prefix is a department heading only if
/// every name in it ends with one of these.
const ORG_SUFFIXES: &[&str] = &[
    "局", "委", "部", "办", "会", "院", "中心", "队", "站", "所", "台", "处", "室", "厅", "馆",
    "署", "政府", "公司", "集团", "银行", "团", "社", "协", "联",
];

fn item_marker(rest: &str) -> Option<(Style, u32, usize)> {
    let caps = ITEM_MARKER.captures(rest)?;
    let len = caps[0].len();
    if let Some(d) = caps.get(1) {
        // `3.5米` is a number, not item 3.
        if rest[d.end()..]
            .chars()
            .nth(1)
            .is_some_and(|c| c.is_ascii_digit())
            || d.as_str().len() > 1 && d.as_str().starts_with('0')
        {
            return None;
        }
        return Some((Style::Arabic, d.as_str().parse().ok()?, len));
    }
    if let Some(d) = caps.get(2) {
        return Some((Style::ParenArabic, d.as_str().parse().ok()?, len));
    }
    if let Some(d) = caps.get(3) {
        return Some((Style::ParenChinese, chinese_number(d.as_str())?, len));
    }
    let circled = caps.get(4)?.as_str().chars().next()?;
    Some((Style::Circled, circled as u32 - '①' as u32 + 1, len))
}

/// A department heading at the start of `rest`: the names and the length it covers.
pub fn heading(rest: &str) -> Option<(Vec<String>, usize)> {
    let caps = HEADING.captures(rest)?;
    let names: Vec<String> = caps[1].split('、').map(|n| n.trim().to_owned()).collect();
    let all_orgs = names
        .iter()
        .all(|n| n.chars().count() >= 2 && ORG_SUFFIXES.iter().any(|s| n.ends_with(s)));
    all_orgs.then(|| (names, caps[0].len()))
}

/// Builds the pieces of one cell.
struct Splitter {
    pieces: Vec<Piece>,
    item: Option<String>,
    /// The next number of each marker style; 0 until the cell has used the style.
    expected: [u32; 4],
    /// The next section number; 0 until the cell has a section.
    next_section: u32,
}

impl Splitter {
    fn push_text(&mut self, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        match &mut self.item {
            Some(item) => {
                item.push(' ');
                item.push_str(text);
            }
            None => self.item = Some(text.to_owned()),
        }
    }

    fn close_item(&mut self) {
        if let Some(item) = self.item.take() {
            let cleaned = clean(&item);
            let text = strip_item_end(&cleaned);
            if !text.is_empty() {
                self.pieces.push(Piece::Item(text.to_owned()));
            }
        }
    }

    fn block(&mut self, block: &Block, headings: bool) {
        self.close_item();
        if block.mode == Mode::ListItem {
            // An `<li>` is one item whatever it contains; drop a number it repeats.
            let mut text = block.text.trim();
            if let Some((_, _, len)) = item_marker(text) {
                text = &text[len..];
            }
            if let Some((names, len)) = heading(text).filter(|_| headings) {
                self.pieces.push(Piece::Heading(names));
                text = &text[len..];
            }
            self.push_text(text);
            self.close_item();
            return;
        }
        let s = block.text.as_str();
        let mut consumed = 0;
        // Where the last item marker ended: `1. 镇综治中心：…` is an item, not a heading.
        let mut after_marker = None;
        let mut prev: Option<char> = None;
        let mut prev_solid: Option<char> = None;
        for (at, c) in s.char_indices() {
            // In a list without `<li>`, entries end at `；`/`。` followed by the space
            // each entry left; a `；` without it is punctuation inside the entry.
            let after_sentence = matches!(prev_solid, Some('；' | ';' | '。'))
                && prev.is_some_and(char::is_whitespace);
            let boundary = match prev {
                None => true,
                // Right after a heading or section (`县住建局：1.审核`) an item may start too.
                Some(p) => p.is_whitespace() || matches!(p, '；' | ';' | '。') || at == consumed,
            };
            prev = Some(c);
            if !c.is_whitespace() {
                prev_solid = Some(c);
            }
            if at < consumed || !boundary || c.is_whitespace() {
                continue;
            }
            let rest = &s[at..];
            // A cell's first list may go on from the cell before (a table split across
            // pages, Word numbering continued): at a paragraph's start, any number.
            let block_start = s[..at].trim().is_empty();
            if let Some(caps) = SECTION_MARKER.captures(rest)
                && matches!(chinese_number(&caps[1]), Some(n)
                    if n == self.next_section || n == 1 || self.next_section == 0 && block_start)
            {
                self.push_text(&s[consumed..at]);
                self.close_item();
                // The title ends at a space or a colon (`一、扬尘治理：1.宣传`).
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == '：' || c == ':')
                    .unwrap_or(rest.len());
                self.pieces.push(Piece::Section(clean(&rest[..end])));
                self.next_section = chinese_number(&caps[1]).unwrap_or(0) + 1;
                let colon = rest[end..]
                    .chars()
                    .next()
                    .filter(|c| *c == '：' || *c == ':')
                    .map_or(0, char::len_utf8);
                consumed = at + end + colon;
            } else if let Some((style, n, len)) = item_marker(rest)
                && n > 0
                && (n == 1
                    || n == self.expected[style as usize]
                    || self.expected[style as usize] == 0 && block_start)
            {
                self.push_text(&s[consumed..at]);
                self.close_item();
                self.item = Some(String::new());
                self.expected[style as usize] = n + 1;
                consumed = at + len;
                after_marker = Some(consumed);
            } else if let Some((names, len)) =
                heading(rest).filter(|_| headings && after_marker != Some(at))
            {
                self.push_text(&s[consumed..at]);
                self.close_item();
                self.pieces.push(Piece::Heading(names));
                consumed = at + len;
            } else if block.mode == Mode::List && after_sentence {
                self.push_text(&s[consumed..at]);
                self.close_item();
                consumed = at;
            }
        }
        self.push_text(&s[consumed.min(s.len())..]);
        self.close_item();
    }
}

/// Split one cell into pieces. `headings` enables department headings (`县住建局：`),
/// which only the department column has.
pub fn parse_cell(raw: &str, headings: bool) -> Vec<Piece> {
    let mut splitter = Splitter {
        pieces: Vec::new(),
        item: None,
        expected: [0; 4],
        next_section: 0,
    };
    for block in blocks(raw) {
        splitter.block(&block, headings);
    }
    splitter.pieces
}

/// The plain text of a cell: tags removed, entities decoded, whitespace normalised.
pub fn plain_text(raw: &str) -> String {
    let joined: Vec<String> = blocks(raw).into_iter().map(|b| b.text).collect();
    clean(&joined.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(pieces: &[Piece]) -> Vec<&str> {
        pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Item(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn inline_numbered_items_split_and_lose_their_numbers() {
        let pieces = parse_cell(
            "<p>1.确定职数、类别等； 2.对推荐人选进行全面考察。</p>",
            true,
        );
        assert_eq!(
            items(&pieces),
            ["确定职数、类别等", "对推荐人选进行全面考察"]
        );
    }

    #[test]
    fn numbers_inside_text_do_not_split_items() {
        let pieces = parse_cell("1.在15个工作日内复审 3.5米以内； 2.公示 5 个工作日", false);
        assert_eq!(
            items(&pieces),
            ["在15个工作日内复审3.5米以内", "公示5个工作日"]
        );
    }

    #[test]
    fn sections_end_at_the_first_space() {
        let pieces = parse_cell(
            "<p>一、职级晋升 县委组织部研究名单。</p> <p>二、延伸考察 1.了解干部； 2.组织考察。</p>",
            false,
        );
        assert_eq!(
            pieces,
            [
                Piece::Section("一、职级晋升".into()),
                Piece::Item("县委组织部研究名单".into()),
                Piece::Section("二、延伸考察".into()),
                Piece::Item("了解干部".into()),
                Piece::Item("组织考察".into()),
            ]
        );
    }

    #[test]
    fn headings_are_recognised_inline_and_as_paragraphs() {
        let pieces = parse_cell(
            "县教育局： 制定细则。 县文旅局、县商信局： 1.审核； 2.备案。 县民政局：负责登记。",
            true,
        );
        assert_eq!(
            pieces,
            [
                Piece::Heading(vec!["县教育局".into()]),
                Piece::Item("制定细则".into()),
                Piece::Heading(vec!["县文旅局".into(), "县商信局".into()]),
                Piece::Item("审核".into()),
                Piece::Item("备案".into()),
                Piece::Heading(vec!["县民政局".into()]),
                Piece::Item("负责登记".into()),
            ]
        );
    }

    #[test]
    fn headings_are_plain_text_in_the_town_column() {
        assert_eq!(
            parse_cell("县教育局： 制定细则。", false),
            [Piece::Item("县教育局：制定细则".into())]
        );
    }

    #[test]
    fn a_cells_first_list_may_go_on_from_the_cell_before_but_only_at_a_paragraph_start() {
        assert_eq!(
            items(&parse_cell("<p>4.宣传</p> <p>5.巡查</p>", false)),
            ["宣传", "巡查"]
        );
        let pieces = parse_cell("<p>三、安全</p> <p>1.检查</p>", false);
        assert_eq!(pieces[0], Piece::Section("三、安全".into()));
        // Inside a paragraph, a number that neither continues nor starts a list is text.
        assert_eq!(
            items(&parse_cell("<p>做好 4.巡查</p>", false)),
            ["做好4.巡查"]
        );
    }

    #[test]
    fn a_semicolon_without_the_entry_space_stays_inside_an_unnumbered_list_item() {
        assert_eq!(
            items(&parse_cell(
                "<ol style=\"list-style-type: none\"> 公布相关信息；对涉及的区域进行调查；经研究作出决定； 落实补偿资金。 </ol>",
                false
            )),
            [
                "公布相关信息；对涉及的区域进行调查；经研究作出决定",
                "落实补偿资金"
            ]
        );
    }

    #[test]
    fn unnumbered_lists_split_at_sentence_ends() {
        let raw = "<p>县住建局：</p> <ol style=\"list-style-type: none\"> 依法监督检查； 督促排查隐患。 <p>县公安局：</p> <ol> 协助整治；";
        assert_eq!(
            parse_cell(raw, true),
            [
                Piece::Heading(vec!["县住建局".into()]),
                Piece::Item("依法监督检查".into()),
                Piece::Item("督促排查隐患".into()),
                Piece::Heading(vec!["县公安局".into()]),
                Piece::Item("协助整治".into()),
            ]
        );
    }

    #[test]
    fn list_items_are_one_item_each() {
        let pieces = parse_cell(
            "<ol><li>1. 宣传；</li><li>巡查&nbsp;上报。</li></ol>",
            false,
        );
        assert_eq!(items(&pieces), ["宣传", "巡查上报"]);
    }

    #[test]
    fn other_marker_styles_are_items() {
        let pieces = parse_cell("（一）宣传 （二）巡查 ①上报 ②整改", false);
        assert_eq!(items(&pieces), ["宣传", "巡查", "上报", "整改"]);
    }

    #[test]
    fn a_stray_angle_bracket_is_text() {
        assert_eq!(
            items(&parse_cell("比例 <5% 的单位", false)),
            ["比例<5%的单位"]
        );
    }

    #[test]
    fn chinese_enumeration_commas_are_item_markers() {
        assert_eq!(
            items(&parse_cell("1、宣传 2、巡查", false)),
            ["宣传", "巡查"]
        );
        assert_eq!(
            items(&parse_cell("1．宣传； 2．巡查", false)),
            ["宣传", "巡查"]
        );
    }

    #[test]
    fn an_item_may_start_right_after_a_heading_or_section() {
        assert_eq!(
            parse_cell("县住建局：1.审核；2.备案", true),
            [
                Piece::Heading(vec!["县住建局".into()]),
                Piece::Item("审核".into()),
                Piece::Item("备案".into())
            ]
        );
        assert_eq!(
            parse_cell("一、扬尘治理：1.宣传 2.巡查", false),
            [
                Piece::Section("一、扬尘治理".into()),
                Piece::Item("宣传".into()),
                Piece::Item("巡查".into())
            ]
        );
    }

    #[test]
    fn numbering_may_continue_across_sections_and_headings() {
        let pieces = parse_cell("一、甲 1.x 2.y 二、乙 3.z 4.w", false);
        assert_eq!(items(&pieces), ["x", "y", "z", "w"]);
        let pieces = parse_cell("县住建局：1.a 2.b 县公安局：3.c 4.d", true);
        assert_eq!(items(&pieces), ["a", "b", "c", "d"]);
    }

    #[test]
    fn breaks_and_paragraphs_inside_lists_keep_list_structure() {
        assert_eq!(
            items(&parse_cell("<ol><li>第一行<br>续行</li></ol>", false)),
            ["第一行续行"]
        );
        assert_eq!(
            items(&parse_cell("<ol>宣传；<br>巡查； 上报。</ol>", false)),
            ["宣传", "巡查", "上报"]
        );
        assert_eq!(
            items(&parse_cell(
                "<ol> x； <ol><li>a</li></ol> y； z。</ol>",
                false
            )),
            ["x", "a", "y", "z"]
        );
        assert_eq!(
            items(&parse_cell("<ol><li><p>2.宣传</p></li></ol>", false)),
            ["宣传"]
        );
    }

    #[test]
    fn a_heading_may_be_a_list_item_of_its_own() {
        assert_eq!(
            parse_cell("<ol><li>县住建局：</li><li>审核</li></ol>", true),
            [
                Piece::Heading(vec!["县住建局".into()]),
                Piece::Item("审核".into())
            ]
        );
    }

    #[test]
    fn a_colon_right_after_an_item_number_is_not_a_heading() {
        assert_eq!(
            parse_cell("1. 镇综治中心：负责调解", true),
            [Piece::Item("镇综治中心：负责调解".into())]
        );
    }
}
