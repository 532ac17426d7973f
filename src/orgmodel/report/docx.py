"""The report as a Word document (python-docx), from the same data model as the HTML.

:func:`write_docx` writes a title page, the first page a planner decides from, the summary, the
comparison and the findings as Word tables, what changed and why (by area, by kind and the
largest flows, as in the HTML report), every chart's A4 pages as images at print resolution (each
on a page of its orientation), and an appendix with every change, unit by unit. Every run of text carries an
East Asian font (``w:eastAsia``), so Word shows the Chinese text in a Chinese font.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from orgmodel.files import atomic_file
from orgmodel.render.paper import PAGE_MARGIN_MM

__all__ = ["write_docx", "EAST_ASIAN_FONT", "LATIN_FONT", "PRINT_DPI"]

#: the fonts a Word report asks for: Chinese text, and Latin letters and digits
EAST_ASIAN_FONT, LATIN_FONT = "Noto Sans CJK SC", "Calibri"
#: resolution of the chart images in a Word report
PRINT_DPI = 200


def _fonts(element: Any) -> None:
    """Set the Latin and East Asian fonts on a run's or a style's properties."""
    from docx.oxml.ns import qn

    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for key, value in (("w:ascii", LATIN_FONT), ("w:hAnsi", LATIN_FONT), ("w:eastAsia", EAST_ASIAN_FONT),
                       ("w:cs", LATIN_FONT)):
        fonts.set(qn(key), value)


def _styles(document: Any) -> None:
    from docx.shared import Pt

    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Caption", "Table Grid"):
        try:
            style = document.styles[name]
        except KeyError:
            continue
        _fonts(style.element)
    document.styles["Normal"].font.size = Pt(10.5)


def _table(document: Any, head: Sequence[str], rows: Sequence[Sequence[Any]], *, numeric_from: int = 1,
           size: float = 9) -> None:
    """A Word table with a header row repeated on every page."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    table = document.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    header = table.rows[0]
    trpr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    for cell, value in zip(header.cells, head):
        _cell(cell, str(value), size=size, bold=True)
    for row in rows:
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, row)):
            _cell(cell, str(value), size=size)
            if i >= numeric_from and _looks_numeric(str(value)):
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph()


def _change_details(document: Any, ch: Mapping[str, Any], v: Mapping[str, Any]) -> None:
    """Every created, retyped and dissolved unit of a variant and every member flow, with reasons."""
    for t in v["tables"]:
        _table(document, [t["title"], ch["members"], ch["reason"]],
               [[u["name"], u["size"], u["reason"]] for u in t["rows"]], size=8)
    if v["flows"]:
        _table(document, [ch["from"], ch["to"], ch["members"], ch["reason"]],
               [[x["from"], x["to"], x["count"], "\n".join(x["reasons"])] for x in v["flows"]], numeric_from=2, size=8)


def _looks_numeric(value: str) -> bool:
    return value.replace(",", "").replace(".", "", 1).replace("-", "", 1).replace("+", "", 1).strip().isdigit()


def _cell(cell: Any, value: str, *, size: float, bold: bool = False) -> None:
    from docx.shared import Pt

    paragraph = cell.paragraphs[0]
    for i, line in enumerate(value.split("\n")):
        run = paragraph.add_run(("\n" if i else "") + line)
        run.font.size = Pt(size)
        run.bold = bold
        _fonts(run._element)


def _para(document: Any, value: str, *, style: str | None = None, size: float | None = None,
          bold: bool = False, colour: tuple[int, int, int] | None = None) -> Any:
    from docx.shared import Pt, RGBColor

    paragraph = document.add_paragraph(style=style)
    run = paragraph.add_run(value)
    _fonts(run._element)
    if size:
        run.font.size = Pt(size)
    run.bold = bold
    if colour:
        run.font.color.rgb = RGBColor(*colour)
    return paragraph


def _heading(document: Any, value: str, level: int) -> None:
    heading = document.add_heading(level=level)
    _fonts(heading.add_run(value)._element)


def _section(document: Any, orientation: str) -> None:
    """Start a new page (a new section when the orientation changes)."""
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Mm

    want = WD_ORIENT.LANDSCAPE if orientation == "landscape" else WD_ORIENT.PORTRAIT
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = want
    section.page_width, section.page_height = (Mm(297), Mm(210)) if want == WD_ORIENT.LANDSCAPE else (Mm(210), Mm(297))
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(PAGE_MARGIN_MM))


def write_docx(model: Mapping[str, Any], path: str | Path, *, image: Callable[[Any], bytes] | None = None) -> Path:
    """Write the report data model ``model`` (see :func:`orgmodel.report.model.report_model`) as a
    Word document. ``image(page)`` gives a chart page's PNG bytes (default: the page drawn again
    from its DOT text at :data:`PRINT_DPI`); pages without one are left out."""
    import io

    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.image.image import Image
    from docx.shared import Mm

    from orgmodel.render.dot import run_dot

    def draw(page: Any) -> bytes | None:
        if image is not None:
            return image(page)
        return run_dot(page.dot, "png", dpi=PRINT_DPI) if getattr(page, "dot", "") else None

    r = model
    pn = r["p"]
    colon = pn["colon"]
    document = Document()
    _styles(document)
    first = document.sections[0]
    first.page_width, first.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(first, side, Mm(20))

    # title page
    for _ in range(6):
        document.add_paragraph()
    title = _para(document, r["title"], size=26, bold=True)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if r["description"]:
        _para(document, r["description"], size=11).alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = r["meta"]
    _para(document, f"{meta['as_of']}{colon}{meta['as_of_value']}  ·  {meta['generated']}{colon}{meta['generated_value']}  ·  "
                    f"orgmodel {meta['version']}", size=9, colour=(0x66, 0x66, 0x66)).alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_page_break()

    # the first page: the variants at a glance
    d = r["decide"]
    _heading(document, r["sections"]["decide"], 1)
    _para(document, d["intro"], size=9, colour=(0x55, 0x55, 0x55))
    head = list(d["head"]) + [f"{f['label']}{pn['open']}{f['unit']}{pn['close']}" if f["unit"] else f["label"] for f in d["focus"]]
    rows = []
    for v in d["cards"]:
        cells = [v["label"], v["errors_text"], v["moved"], v["created"], v["dissolved"], v["retyped"]]
        for s in v["standing"]:
            lines = [s["value"]] + [x for x in (s["reason"], s["change"], d["best_word"] if s["best"] else "") if x]
            cells.append("\n".join(lines))
        rows.append(cells)
    _table(document, head, rows, numeric_from=2, size=8)
    for v in d["cards"]:
        if v["is_baseline"]:
            continue
        p = document.add_paragraph()
        run = p.add_run(v["label"] + colon)
        run.bold = True
        _fonts(run._element)
        _fonts(p.add_run(v["description"] + (f"{pn['open']}{d['steps_word']}{colon}{v['steps']}{pn['close']}" if v["steps"] else ""))._element)
    _heading(document, d["focus_title"], 2)
    _table(document, d["focus_head"], [[f["label"], f["unit"], f["better"], f["explain"]] for f in d["focus"]],
           numeric_from=9)

    # summary
    _heading(document, r["sections"]["summary"], 1)
    _table(document, ["", ""], [[row["label"], row["value"]] for row in r["summary"]["rows"]])
    _heading(document, r["variants_title"], 2)
    for v in r["variants"]:
        _para(document, f"{v['label']}{colon}{v['steps']}")

    # comparison
    _heading(document, r["sections"]["comparison"], 1)
    c = r["comparison"]
    _table(document, list(c["head"]) + list(r["columns"]),
           [[row["label"], row["unit"], row["better"], row["explain"]]
            + [cell["text"] + (" ★" if cell["best"] else "") for cell in row["cells"]] for row in c["rows"]],
           numeric_from=4, size=7.5)
    _para(document, c["note_md"], size=9, colour=(0x55, 0x55, 0x55))
    for m in c["missing"]:
        _para(document, f"—{colon}{m}", size=9, colour=(0x55, 0x55, 0x55))

    # findings
    f = r["findings"]
    _heading(document, r["sections"]["findings"], 1)
    _table(document, [""] + list(r["columns"]), [[row["label"]] + row["cells"] for row in f["counts"]])
    _para(document, f["note"], size=9, colour=(0x55, 0x55, 0x55))
    for v in f["variants"]:
        _heading(document, v["label"], 2)
        _table(document, f["head"], [[x["title"], x["unit"], x["value"], x["threshold"], x["source"]] for x in v["rows"]],
               numeric_from=2, size=8)
        if v["more"]:
            _para(document, v["more"], size=9)

    # what changed and why: by area, by kind and the largest flows (every unit and flow in the
    # appendix at the end), as the HTML report; a variant without a summary lists its units here
    ch = r["changes"]
    _heading(document, r["sections"]["changes"], 1)
    appendix = []
    for v in ch["variants"]:
        _heading(document, v["label"], 2)
        _para(document, v["line_md"])
        s = v.get("summary")
        if not s:
            _change_details(document, ch, v)
            continue
        appendix.append(v)
        if s["areas"]["rows"]:
            total = s["areas"]["total"]
            _para(document, s["areas"]["title"], bold=True, size=10)
            _table(document, s["areas"]["head"],
                   [[a["area"], a["created"], a["dissolved"], a["retyped"], f"{a['moved_in']:,}", f"{a['across']:,}"]
                    for a in s["areas"]["rows"]]
                   + [[s["areas"]["total_label"], total["created"], total["dissolved"], total["retyped"],
                       f"{total['moved_in']:,}", f"{total['across']:,}"]], size=8)
        if s["kinds"]["rows"]:
            _para(document, s["kinds"]["title"], bold=True, size=10)
            _table(document, s["kinds"]["head"],
                   [[k["kind"], k["created"], k["dissolved"], k["retyped"]] for k in s["kinds"]["rows"]], size=8)
        if s["flows"]["rows"]:
            _para(document, s["flows"]["title"], bold=True, size=10)
            _table(document, [ch["from"], ch["to"], ch["members"], ch["reason"]],
                   [[f["from"], f["to"], f["count"], f["reason"]] for f in s["flows"]["rows"]], numeric_from=2, size=8)
            if s["flows"]["rest"]:
                _para(document, s["flows"]["rest"], size=9, colour=(0x55, 0x55, 0x55))
        _para(document, ch["see_appendix"], size=9, colour=(0x55, 0x55, 0x55))

    # the optimised variants' solve (report/solver.py)
    if r.get("solver"):
        sv = r["solver"]
        _heading(document, sv["title"], 1)
        _para(document, sv["intro"], size=9, colour=(0x55, 0x55, 0x55))
        for v in sv["variants"]:
            _heading(document, v["label"], 2)
            _para(document, v["line"])
            _table(document, sv["facts_head"], [[f["label"], f["value"]] for f in v["facts"]], size=8)
            _table(document, sv["head"], [[t["label"], t["value"], t["weight"], t["weighted"]] for t in v["terms"]], size=8)

    # over time: the simulation section, written by orgmodel.report.simulation
    if r.get("simulation"):
        from orgmodel.report.simulation import docx_section

        docx_section(document, r["simulation"], heading=_heading, para=_para, table=_table)

    # chart pages
    for sid, diagrams in (("diagrams", r["diagrams"]), ("charts", r["charts"])):
        first_page = True
        for diagram in diagrams:
            for page in diagram.pages:
                png = draw(page)
                if png is None:
                    continue
                _section(document, page.orientation)
                if first_page:
                    _heading(document, r["sections"][sid], 1)
                    first_page = False
                section = document.sections[-1]
                width = section.page_width - section.left_margin - section.right_margin
                height = section.page_height - section.top_margin - section.bottom_margin - Mm(24)
                picture = Image.from_blob(png)  # drawn at PRINT_DPI: its natural size on paper
                natural_w = Mm(picture.px_width / PRINT_DPI * 25.4)
                natural_h = Mm(picture.px_height / PRINT_DPI * 25.4)
                scale = min(1.0, width / natural_w, height / natural_h)
                document.add_picture(io.BytesIO(png), width=int(natural_w * scale), height=int(natural_h * scale))
                document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                caption = _para(document, page.title + (f"  {diagram.note}" if diagram.note and page is diagram.pages[0] else ""),
                                size=9, colour=(0x55, 0x55, 0x55))
                caption.alignment = WD_ALIGN_PARAGRAPH.CENTER

    # notes on method
    _section(document, "portrait")
    _heading(document, r["sections"]["method"], 1)
    for t in r["method"]:
        _para(document, t, style="List Bullet")

    # appendix: every change, unit by unit
    if appendix:
        document.add_page_break()
        _heading(document, ch["appendix"], 1)
        _para(document, ch["appendix_note"], size=9, colour=(0x55, 0x55, 0x55))
        for v in appendix:
            _heading(document, v["label"], 2)
            _change_details(document, ch, v)

    out = Path(path)
    with atomic_file(out) as tmp:
        document.save(str(tmp))
    return out
