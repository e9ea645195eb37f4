"""The official layout of the 通报 (GB/T 9704-2012, 党政机关公文格式), in
python-docx: A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm
(a 156 × 225 mm text block); the title in 2号 (22 pt) 小标宋; the body in
3号 (16 pt) 仿宋 at a fixed 28 pt line, first lines indented two
characters; headings 一、二、… in 3号 黑体; the page number "— 1 —" in 4号
宋体 under the text block.

Fonts are named for Word and WPS on Windows (方正小标宋简体, 仿宋_GB2312, 黑体,
楷体_GB2312, 宋体) on every run, East Asian and Latin alike (w:rFonts
eastAsia, ascii, hAnsi), with the text marked zh-CN; the document's font
table gives each an alternative that Windows always has (宋体, 仿宋, 楷体),
and LibreOffice on Debian substitutes a CJK font through fontconfig
(fonts-wqy-microhei in CI)."""

import io
import re
from copy import deepcopy
from functools import cache
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBTITLE_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"
# The font table's alternative for each, on every Windows since XP.
ALTERNATIVES = {TITLE_FONT: "宋体", BODY_FONT: "仿宋", SUBTITLE_FONT: "楷体", HEADING_FONT: "SimHei"}

TITLE_SIZE = Pt(22)  # 2号
BODY_SIZE = Pt(16)  # 3号
PAGE_NUMBER_SIZE = Pt(14)  # 4号
TABLE_SIZE = Pt(10.5)  # 5号
LINE = Pt(28)


# Characters XML 1.0 cannot hold (a control character pasted into a task's text).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    return NOT_XML.sub("", text)


def set_font(run, name: str, size, *, latin: str = LATIN_FONT, bold: bool = False) -> None:
    """The run's font, East Asian and Latin, its size, and zh-CN (a copy of
    one prepared w:rPr: tables have thousands of runs)."""
    existing = run._element.rPr
    if existing is not None:
        run._element.remove(existing)
    run._element.insert(0, deepcopy(_run_properties(name, size.pt, latin, bold)))


@cache
def _run_properties(name: str, points: float, latin: str, bold: bool):
    return parse_xml(_run_properties_xml(name, points, latin, bold, namespace=True))


@cache
def _run_properties_xml(name: str, points: float, latin: str, bold: bool, *, namespace: bool = False) -> str:
    half_points = round(points * 2)
    return (
        f"<w:rPr{' ' + nsdecls('w') if namespace else ''}>"
        f'<w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:eastAsia="{name}"/>'
        + ("<w:b/>" if bold else "")
        + f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'
        '<w:lang w:val="en-US" w:eastAsia="zh-CN"/>'
        "</w:rPr>"
    )


def new_document() -> Document:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(25)
    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    _page_number(section)
    return document


def _paragraph(document, *, align=None, indent: bool = False, space_after=0):
    paragraph = document.add_paragraph()
    layout = paragraph.paragraph_format
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = LINE
    layout.space_before, layout.space_after = Pt(0), Pt(space_after)
    if indent:
        layout.first_line_indent = BODY_SIZE * 2
    if align is not None:
        paragraph.alignment = align
    return paragraph


def add_title(document, text: str) -> None:
    paragraph = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph.paragraph_format.line_spacing = Pt(35)
    set_font(paragraph.add_run(clean(text)), TITLE_FONT, TITLE_SIZE)


def add_subtitle(document, text: str) -> None:
    paragraph = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=14)
    set_font(paragraph.add_run(clean(text)), SUBTITLE_FONT, BODY_SIZE)


def add_heading(document, text: str) -> None:
    paragraph = _paragraph(document, indent=True)
    paragraph.paragraph_format.keep_with_next = True
    set_font(paragraph.add_run(clean(text)), HEADING_FONT, BODY_SIZE)


def add_body(document, text: str) -> None:
    paragraph = _paragraph(document, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    set_font(paragraph.add_run(clean(text)), BODY_FONT, BODY_SIZE)


def add_signature(document, lines: list[str]) -> None:
    """落款: right-aligned, four characters in from the right edge, after a blank line."""
    _paragraph(document)
    for line in lines:
        paragraph = _paragraph(document, align=WD_ALIGN_PARAGRAPH.RIGHT)
        paragraph.paragraph_format.right_indent = BODY_SIZE * 4
        set_font(paragraph.add_run(clean(line)), BODY_FONT, BODY_SIZE)


def add_page_break(document) -> None:
    document.add_page_break()


def add_table(document, headers: list[str], rows: list[list], widths_mm: list[float]) -> None:
    """A bordered table in 5号 仿宋 with a 黑体 header repeated on every page.
    Rows are written as XML (python-docx's cell API walks the grid for each
    cell: seconds for the 2019 annex's tables)."""
    table = document.add_table(rows=0, cols=len(headers))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)  # the grid, which LibreOffice and WPS read
    table._tbl.append(_row(headers, widths_mm, font=HEADING_FONT, header=True))
    for row in rows:
        table._tbl.append(_row(row, widths_mm, font=BODY_FONT))


def _row(values, widths_mm, *, font: str, header: bool = False):
    properties = _run_properties_xml(font, TABLE_SIZE.pt, LATIN_FONT, False)
    cells = []
    for value, width in zip(values, widths_mm, strict=True):
        centred = header or isinstance(value, int | float)
        text = escape(clean("" if value is None else str(value)))
        cells.append(
            f'<w:tc><w:tcPr><w:tcW w:w="{Mm(width).twips}" w:type="dxa"/></w:tcPr>'
            f'<w:p><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'
            f'<w:jc w:val="{"center" if centred else "left"}"/></w:pPr>'
            f'<w:r>{properties}<w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:tc>'
        )
    repeat = "<w:trPr><w:tblHeader/></w:trPr>" if header else ""
    return parse_xml(f"<w:tr {nsdecls('w')}>{repeat}{''.join(cells)}</w:tr>")


def add_caption(document, text: str) -> None:
    """A table's title: 黑体, centred, with space before."""
    paragraph = _paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    paragraph.paragraph_format.keep_with_next = True
    set_font(paragraph.add_run(clean(text)), HEADING_FONT, BODY_SIZE)


def _page_number(section) -> None:
    """ "— 1 —" centred in the footer: a PAGE field between two em dashes."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(paragraph.add_run("— "), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        set_font(run, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._element.append(char)
        elif text == " PAGE ":
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = text
            run._element.append(code)
        else:
            run.text = text
    set_font(paragraph.add_run(" —"), PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)


def _font_alternatives(document) -> None:
    """Entries in the font table naming, for each of our fonts, one that
    Windows always has (w:altName), for Word and WPS where ours is missing."""
    part = next(
        (rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/fontTable")), None
    )
    if part is None:
        return
    from lxml import etree

    root = etree.fromstring(part.blob)
    for name, alternative in ALTERNATIVES.items():
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        alt = etree.SubElement(font, qn("w:altName"))
        alt.set(qn("w:val"), alternative)
        charset = etree.SubElement(font, qn("w:charset"))
        charset.set(qn("w:val"), "86")  # GB2312
        family = etree.SubElement(font, qn("w:family"))
        family.set(qn("w:val"), "modern" if name == HEADING_FONT else "roman")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def to_bytes(document) -> bytes:
    _font_alternatives(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
