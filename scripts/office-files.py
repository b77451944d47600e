#!/usr/bin/env python3
"""Render a list in the text layout as an HTML document that LibreOffice turns into
a Word document and a workbook the way an office application writes them.

Usage: office-files.py LIST.txt OUT.html

The HTML has a title without region (`乌恰县乌恰镇履职事项清单`), a date line
(`2025年7月`), `说 明` and the preamble, a heading per table and the tables with
their cells' HTML as written (`<p>`, `<ol><li>`); an unnumbered list (`<ol>` with no
`<li>`, entries ending at `；` and a space) becomes one paragraph per entry, as the
source document had them. `scripts/office-roundtrip.sh` and
`bench/import-formats.sh` convert it with LibreOffice and import the results.
"""
import html
import re
import sys

TABLES = {"基本履职事项清单", "配合履职事项清单", "上级部门收回事项清单"}
TITLE = re.compile(r"^(?:.+?(?:自治区|省|市))?(?:.+?(?:自治州|地区|盟|市))?(.+?(?:县|旗|区|市))(.+?(?:街道|镇|乡))履职事项清单$")
MONTH = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月$")


def unnumbered(cell: str) -> str:
    def entries(match: re.Match) -> str:
        parts = [p.strip() for p in re.split(r"[；。]\s+|[；。]\s*$", match.group(1)) if p.strip()]
        return "".join(f"<p>{p}</p>" for p in parts)

    return re.sub(r'<ol style="list-style-type: none">(.*?)(?=<p>|$)', entries, cell)


def main(source: str, target: str) -> None:
    lines = [l.rstrip("\r") for l in open(source, encoding="utf-8") if l.strip()]
    out = ['<html><head><meta charset="utf-8"></head><body>']
    in_table = contents = False
    for line in lines:
        text = line.strip()
        title = TITLE.match(re.sub(r"\s+", "", text))
        if title and not in_table:
            out.append(f"<p>{title.group(1)}{title.group(2)}履职事项清单</p>")
            continue
        month = MONTH.match(text)
        if month and not in_table:
            out.append(f"<p>{month.group(1)}年{int(month.group(2))}月</p>")
            continue
        if text in TABLES and not contents:
            out.append(("</table>" if in_table else "") + f"<h2>{text}</h2><table border=\"1\">")
            in_table = True
            continue
        if text.replace(" ", "") == "目录":
            contents = True
            continue
        if contents and text in TABLES:
            contents = False
            out.append(f"<h2>{text}</h2><table border=\"1\">")
            in_table = True
            continue
        if contents or (in_table and "\t" not in line):
            continue
        if not in_table:
            out.append(f"<p>{html.escape(text)}</p>")
            continue
        cells = line.split("\t")
        tag = "th" if cells[0].strip() == "序号" else "td"
        out.append("<tr>" + "".join(f"<{tag}>{unnumbered(c)}</{tag}>" for c in cells) + "</tr>")
    out.append("</table></body></html>")
    with open(target, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
