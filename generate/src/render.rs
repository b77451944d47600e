//! Cells written back from pieces, in the layouts published lists use.
//!
//! The generator drops and reorders items, so it cannot reuse the Wuqia cell's
//! HTML; it writes the pieces out again in one of the layouts the real document
//! mixes (`<p>` per item, several items in one `<p>`, plain text, `<ol><li>`), with
//! one of its numbering styles. [`render_checked`] parses what it wrote and falls
//! back to a plainer layout when an item's wording would read differently (a
//! number inside an item that happens to continue the count, say), so every
//! generated cell means exactly the pieces it was written from.

use lvzhi::import::cell::{Piece, parse_cell};

/// How the items of a cell are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `<p>1.甲；</p> <p>2.乙。</p>`
    Paragraphs,
    /// `<p>1.甲； 2.乙。</p>`
    Inline,
    /// `1.甲； 2.乙。`
    Plain,
    /// `<ol style="list-style-type: none"><li>甲；</li><li>乙。</li></ol>`
    List,
}

/// Every layout, for choosing one.
pub const LAYOUTS: [Layout; 4] = [
    Layout::Paragraphs,
    Layout::Inline,
    Layout::Plain,
    Layout::List,
];

/// How items are numbered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Numbering {
    /// `1.`
    Dot,
    /// `1、`
    Comma,
    /// `（1）`
    Paren,
    /// `①` (up to ⑳; longer runs fall back to `1.`)
    Circled,
}

/// Every numbering style, for choosing one.
pub const NUMBERINGS: [Numbering; 4] = [
    Numbering::Dot,
    Numbering::Comma,
    Numbering::Paren,
    Numbering::Circled,
];

fn marker(numbering: Numbering, n: usize, run: usize) -> String {
    match numbering {
        Numbering::Comma => format!("{n}、"),
        Numbering::Paren => format!("（{n}）"),
        Numbering::Circled if run <= 20 => {
            char::from_u32('①' as u32 + n as u32 - 1).map_or_else(|| format!("{n}."), String::from)
        }
        _ => format!("{n}."),
    }
}

/// Escape what HTML would read as markup; the importer decodes the entities.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One group of a cell: a section title, a department heading, or a run of items.
enum Group<'a> {
    Section(&'a str),
    Heading(&'a [String]),
    Items(Vec<&'a str>),
}

fn groups(pieces: &[Piece]) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Section(title) => out.push(Group::Section(title)),
            Piece::Heading(names) => out.push(Group::Heading(names)),
            Piece::Item(text) => match out.last_mut() {
                Some(Group::Items(items)) => items.push(text),
                _ => out.push(Group::Items(vec![text])),
            },
        }
    }
    out
}

/// Write pieces as a cell. Numbering restarts at 1 after every section and heading,
/// as the real lists do.
pub fn render(pieces: &[Piece], layout: Layout, numbering: Numbering) -> String {
    let groups = groups(pieces);
    // A cell of one item and nothing else is often written without a number.
    if let [Group::Items(items)] = groups.as_slice()
        && items.len() == 1
        && layout == Layout::Plain
    {
        return format!("{}。", escape(items[0]));
    }
    let mut parts: Vec<String> = Vec::with_capacity(groups.len());
    for group in &groups {
        match group {
            Group::Section(title) => parts.push(match layout {
                Layout::Plain => escape(title),
                _ => format!("<p>{}</p>", escape(title)),
            }),
            Group::Heading(names) => {
                let heading = format!("{}：", escape(&names.join("、")));
                parts.push(match layout {
                    Layout::Plain => heading,
                    _ => format!("<p>{heading}</p>"),
                });
            }
            Group::Items(items) => {
                let last = items.len();
                let item = |(i, text): (usize, &&str)| {
                    let end = if i + 1 == last { "。" } else { "；" };
                    match layout {
                        Layout::List => format!("<li>{}{end}</li>", escape(text)),
                        _ => format!("{}{}{end}", marker(numbering, i + 1, last), escape(text)),
                    }
                };
                let written: Vec<String> = items.iter().enumerate().map(item).collect();
                parts.push(match layout {
                    Layout::Paragraphs => written
                        .iter()
                        .map(|w| format!("<p>{w}</p>"))
                        .collect::<Vec<_>>()
                        .join(" "),
                    Layout::Inline => format!("<p>{}</p>", written.join(" ")),
                    Layout::Plain => written.join(" "),
                    Layout::List => format!(
                        "<ol style=\"list-style-type: none\">{}</ol>",
                        written.concat()
                    ),
                });
            }
        }
    }
    parts.join(" ")
}

/// Write pieces as a cell that parses back to exactly those pieces: the chosen
/// layout, else one `<li>` per item, else `None` (the caller keeps the original cell).
/// `headings` is whether the cell is the department column (where `县住建局：` is a heading).
pub fn render_checked(
    pieces: &[Piece],
    layout: Layout,
    numbering: Numbering,
    headings: bool,
) -> Option<String> {
    [(layout, numbering), (Layout::List, Numbering::Dot)]
        .into_iter()
        .map(|(layout, numbering)| render(pieces, layout, numbering))
        .find(|cell| parse_cell(cell, headings) == pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces() -> Vec<Piece> {
        vec![
            Piece::Section("一、扬尘综合治理".into()),
            Piece::Heading(vec!["县住建局".into(), "县公安局".into()]),
            Piece::Item("督促施工单位落实扬尘防治措施".into()),
            Piece::Item("在15个工作日内完成整改，比例<5%".into()),
            Piece::Heading(vec!["县民政局".into()]),
            Piece::Item("审核".into()),
        ]
    }

    #[test]
    fn every_layout_and_numbering_parses_back_to_its_pieces() {
        for layout in LAYOUTS {
            for numbering in NUMBERINGS {
                let cell = render(&pieces(), layout, numbering);
                assert_eq!(
                    parse_cell(&cell, true),
                    pieces(),
                    "{layout:?} {numbering:?}: {cell}"
                );
            }
        }
    }

    #[test]
    fn a_layout_that_would_change_the_items_falls_back_to_list_items() {
        // ``；2.` inside the first item continues the count in running text.
        let tricky = vec![Piece::Item("甲；2.乙".into()), Piece::Item("丙".into())];
        assert_ne!(
            parse_cell(&render(&tricky, Layout::Plain, Numbering::Dot), false),
            tricky
        );
        let cell = render_checked(&tricky, Layout::Plain, Numbering::Dot, false).unwrap();
        assert!(cell.starts_with("<ol"), "{cell}");
    }
}
