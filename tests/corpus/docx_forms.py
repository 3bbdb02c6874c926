"""CPI forms as DOCX: the police template with content controls, and partners' copies of it.

Styles: `template` (content controls at inline, cell, row and block level, check box and
drop-down controls, placeholders for empty answers), `typed` (controls lost, values and tick
marks typed into the cells), `legacy` (FORMTEXT / FORMCHECKBOX fields) and `tracked` (typed,
with tracked insertions and deletions). Legacy fields of v1 keep Word's default names (`Text3`,
`Check12`); later versions name them by field name cut to Word's 20-character limit. Partners'
copies print labels in varied styles (`Name`, `Name:`, `NAME -`).
"""
from __future__ import annotations

import itertools
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import docx
from docx.document import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from parsers.definitions import FormDefinition

from .data import Fill
from .layout import (CHOOSE_PLACEHOLDER, HEADER, INTRO, PLACEHOLDER, TICKS, UNTICKS, Row, Section, answer_text,
                     option_phrases, printed_label, sections)
from .values import Date, typed

STYLES = ("template", "typed", "legacy", "tracked")
WIDE = 9026  # text width of A4 with 2.54 cm margins, in twentieths of a point
TWO_COLS = (3400, WIDE - 3400)
THREE_COLS = (1300, 2500, WIDE - 3800)
# Content-control levels in the template: which fields sit in a cell-level or row-level control.
CELL_LEVEL = ("submitter_organisation", "_address", "_postcode")
WORD_DATE_FORMATS = {"slash": "dd/MM/yyyy", "short": "d MMM yyyy", "long": "d MMMM yyyy"}
LEGACY_EMPTY = "\u2002" * 5  # what Word shows in an empty legacy text field
AUTHOR = 'w:author="Partner" w:date="2024-01-15T09:30:00Z"'
DELETED_REMARK = " Mum thinks it is nothing to worry about."


def _t(text: str, tag: str = "w:t") -> str:
    return f'<{tag} xml:space="preserve">{escape(text)}</{tag}>'


def _r(text: str, *, bold: bool = False, grey: bool = False, font: str | None = None, deleted: bool = False) -> str:
    props = f'<w:rFonts w:ascii="{font}" w:eastAsia="{font}" w:hAnsi="{font}"/>' if font else ""
    props += "<w:b/>" if bold else ""
    props += '<w:color w:val="808080"/>' if grey else ""
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f"<w:r>{rpr}{_t(text, 'w:delText' if deleted else 'w:t')}</w:r>"


def _p(content: str = "", ppr: str = "") -> str:
    return f"<w:p>{f'<w:pPr>{ppr}</w:pPr>' if ppr else ''}{content}</w:p>"


def _tc(content: str, width: int, *, span: int = 1, vmerge: str | None = None, shade: bool = False) -> str:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    props += f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    props += (f'<w:vMerge w:val="{vmerge}"/>' if vmerge == "restart" else "<w:vMerge/>") if vmerge else ""
    props += '<w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/>' if shade else ""
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{content or _p()}</w:tc>"


def _table(rows: list[str], widths: tuple[int, ...]) -> str:
    border = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
                     for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    return (f'<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
            f'<w:tblBorders>{border}</w:tblBorders><w:tblLook w:val="04A0"/></w:tblPr>'
            f'<w:tblGrid>{grid}</w:tblGrid>{"".join(rows)}</w:tbl>')


class _DocxForm:
    """Writes one fill in one style; methods return WordprocessingML fragments."""

    def __init__(self, definition: FormDefinition, fill: Fill, style: str) -> None:
        self.d, self.fill, self.style = definition, fill, style
        self.ids = itertools.count(1001)
        self.label_style = "plain" if style == "template" else ("plain", "colon", "upper")[fill.variant % 3]

    # -- pieces -------------------------------------------------------------------------
    def _sdt(self, row_name: str, kind: str, content: str, *, empty: bool, extra: str = "", rpr: str = "") -> str:
        pr = f"{rpr}<w:tag w:val={quoteattr(row_name)}/><w:id w:val=\"{next(self.ids)}\"/>"
        pr += "<w:showingPlcHdr/>" if empty else ""
        return f"<w:sdt><w:sdtPr>{pr}{kind}{extra}</w:sdtPr><w:sdtContent>{content}</w:sdtContent></w:sdt>"

    def _legacy(self, name: str, paragraphs: list[str]) -> list[str]:
        """A FORMTEXT field whose result may run over several paragraphs."""
        field = name[:20] if self.fill.version != "v1" else f"Text{next(self.ids) - 1000}"
        begin = (f'<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val={quoteattr(field)}/><w:enabled/>'
                 '<w:calcOnExit w:val="0"/><w:textInput/></w:ffData></w:fldChar></w:r>'
                 '<w:r><w:instrText xml:space="preserve"> FORMTEXT </w:instrText></w:r>'
                 '<w:r><w:fldChar w:fldCharType="separate"/></w:r>')
        end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        runs = [_r(text) for text in (paragraphs or [LEGACY_EMPTY])]
        runs[0] = begin + runs[0]
        runs[-1] += end
        return runs

    def _checkbox(self, row: Row, ticked: bool) -> str:
        if self.style == "template":
            font = "MS Gothic"
            state = (f'<w14:checkbox><w14:checked w14:val="{int(ticked)}"/><w14:checkedState w14:val="2612" '
                     f'w14:font="{font}"/><w14:uncheckedState w14:val="2610" w14:font="{font}"/></w14:checkbox>')
            rpr = f'<w:rPr><w:rFonts w:ascii="{font}" w:eastAsia="{font}" w:hAnsi="{font}"/></w:rPr>'
            return self._sdt(row.name, "", _r("☒" if ticked else "☐", font=font), empty=False, extra=state, rpr=rpr)
        if self.style == "legacy":
            name = row.name[:20] if self.fill.version != "v1" else f"Check{next(self.ids) - 1000}"
            variant = self.fill.variant + next(self.ids)
            if ticked:
                state = '<w:default w:val="0"/><w:checked/>' if variant % 2 else '<w:default w:val="1"/>'
            else:
                state = '<w:default w:val="0"/>' if variant % 2 else '<w:default w:val="0"/><w:checked w:val="0"/>'
            return (f'<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val={quoteattr(name)}/><w:enabled/>'
                    f'<w:calcOnExit w:val="0"/><w:checkBox><w:sizeAuto/>{state}</w:checkBox></w:ffData></w:fldChar></w:r>'
                    '<w:r><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>'
                    '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
        n = self.fill.variant + len(row.name)
        mark = TICKS[n % len(TICKS)] if ticked else UNTICKS[n % len(UNTICKS)]
        if self.style == "tracked" and row.key.endswith("organised_crime") and ticked:
            return f"<w:ins w:id=\"{next(self.ids)}\" {AUTHOR}>{_r(mark)}</w:ins>"
        if self.style == "tracked" and row.key.endswith("community_cohesion") and not ticked:
            return f"<w:del w:id=\"{next(self.ids)}\" {AUTHOR}>{_r('X', deleted=True)}</w:del>"
        return _r(mark) if mark else ""

    def _tracked_text(self, row: Row, text: str) -> str:
        old = self.fill.revisions.get(row.key)
        if self.style != "tracked" or old is None:
            return _r(text)
        return (f"<w:del w:id=\"{next(self.ids)}\" {AUTHOR}>{_r(old, deleted=True)}</w:del>"
                f"<w:ins w:id=\"{next(self.ids)}\" {AUTHOR}>{_r(text)}</w:ins>")

    def _paragraphs(self, row: Row) -> list[str]:
        """Paragraph XML for a multi-line answer (tracked: a deleted remark and an inserted last paragraph)."""
        lines = typed(self.fill.values.get(row.key)).split("\n") if row.key in self.fill.values else []
        if self.style == "legacy":
            runs = self._legacy(row.name, lines)
            return [_p(r) for r in runs]
        if self.style == "tracked" and row.key == "information.text" and len(lines) > 1:
            first = _r(lines[0]) + f"<w:del w:id=\"{next(self.ids)}\" {AUTHOR}>{_r(DELETED_REMARK, deleted=True)}</w:del>"
            middle = [_p(_r(x)) for x in lines[1:-1]]
            ins = f'<w:ins w:id="{next(self.ids)}" {AUTHOR}/>'
            last = _p(f"<w:ins w:id=\"{next(self.ids)}\" {AUTHOR}>{_r(lines[-1])}</w:ins>", f"<w:rPr>{ins}</w:rPr>")
            return [_p(first), *middle, last]
        return [_p(_r(x)) for x in lines] or [_p()]

    def _inline(self, row: Row) -> str:
        """The value-cell paragraph(s) for a one-line answer, choice or tick box."""
        value = self.fill.values.get(row.key)
        if row.kind == "tick":
            ticked = row.key.split(".")[1] in self.fill.categories
            content = self._checkbox(row, ticked)
            if row.key.endswith(".other") and self.d.other_code:
                content += _r(" ") + self._other_text()
            return _p(content)
        text = typed(value)
        if row.kind == "choice" and value is not None:
            text = (dict(option_phrases(self.d, row.choice))[value] if self.style == "template"
                    else answer_text(self.d, row.choice, value, self.fill.variant))
        if self.style == "legacy":
            return _p("".join(self._legacy(row.name, [text] if text else [])))
        if self.style != "template":
            return _p(self._tracked_text(row, text) if text else "")
        return _p(self._control(row, text))

    def _other_text(self) -> str:
        text = self.fill.categories_other or ""
        if self.style == "template":
            return self._sdt("categories_other", "<w:text/>", _r(text or PLACEHOLDER, grey=not text), empty=not text)
        if self.style == "legacy":
            return "".join(self._legacy("categories_other", [text] if text else []))
        return _r(text)

    def _control(self, row: Row, text: str) -> str:
        """An inline content control: drop-down, date picker or plain text, placeholder when empty."""
        if row.kind == "choice":
            items = "".join(f'<w:listItem w:displayText={quoteattr(p)} w:value={quoteattr(p)}/>'
                            for _, p in option_phrases(self.d, row.choice))
            kind = f"<w:dropDownList{f' w:lastValue={quoteattr(text)}' if text else ''}>{items}</w:dropDownList>"
            return self._sdt(row.name, kind, _r(text or CHOOSE_PLACEHOLDER, grey=not text), empty=not text)
        value = self.fill.values.get(row.key)
        if isinstance(value, Date) and value.style in WORD_DATE_FORMATS:
            kind = (f'<w:date w:fullDate="{value.canonical}T00:00:00Z"><w:dateFormat w:val="{WORD_DATE_FORMATS[value.style]}"/>'
                    '<w:lid w:val="en-GB"/><w:storeMappedDataAs w:val="dateTime"/><w:calendar w:val="gregorian"/></w:date>')
        else:
            kind = "<w:text/>"
        return self._sdt(row.name, kind, _r(text or PLACEHOLDER, grey=not text), empty=not text)

    # -- rows and sections ------------------------------------------------------------------
    def _label(self, row: Row) -> str:
        return _p(_r(printed_label(row.label, self.label_style)))

    def _pair(self, row: Row, label_width: int, value_width: int, lead: str = "") -> str:
        """A label cell and a value cell (the value cell inside a cell-level control where the template has one)."""
        value = self._inline(row)
        if self.style == "template" and row.name.endswith(CELL_LEVEL) and row.kind == "text":
            text = typed(self.fill.values.get(row.key))
            cell = _tc(_p(_r(text or PLACEHOLDER, grey=not text)), value_width)
            value_cell = self._sdt(row.name, "<w:text/>", cell, empty=not text)
        else:
            value_cell = _tc(value, value_width)
        return f"<w:tr>{lead}{_tc(self._label(row), label_width)}{value_cell}</w:tr>"

    def _wide(self, row: Row, span: int, width: int) -> list[str]:
        """Label row and full-width answer row for a multi-line answer (row-level control in the template)."""
        rows = [f"<w:tr>{_tc(self._label(row), width, span=span)}</w:tr>"]
        paragraphs = self._paragraphs(row)
        if self.style == "template":
            empty = row.key not in self.fill.values
            content = _p(_r(PLACEHOLDER, grey=True)) if empty else "".join(paragraphs)
            rows.append(self._sdt(row.name, "", f"<w:tr>{_tc(content, width, span=span)}</w:tr>", empty=empty))
        else:
            rows.append(f"<w:tr>{_tc(''.join(paragraphs), width, span=span)}</w:tr>")
        return rows

    def _heading(self, section: Section, span: int, width: int) -> str:
        return f"<w:tr>{_tc(_p(_r(section.printed_heading, bold=True)), width, span=span, shade=True)}</w:tr>"

    def section(self, section: Section) -> list[str]:
        """Block-level XML for one section: tables, and in the template a block-level control."""
        if section.number == 2:
            rows = [self._heading(section, 3, WIDE)]
            for group in section.groups:
                for i, row in enumerate(group.rows):
                    lead = _tc(_p(_r(group.title or "", bold=True)) if i == 0 else _p(), THREE_COLS[0],
                               vmerge="restart" if i == 0 else "continue")
                    rows.append(self._pair(row, THREE_COLS[1], THREE_COLS[2], lead))
            return [_table(rows, THREE_COLS)]
        blocks, rows = [], [self._heading(section, 2, WIDE)]
        for row in (r for g in section.groups for r in g.rows):
            if row.kind == "tick" and row.key.endswith(".other"):
                rows.append(self._pair(Row(row.key, row.name, f"{row.label}:", "tick"), *TWO_COLS))
            elif row.key == "information.text" and self.style == "template":
                rows.append(f"<w:tr>{_tc(self._label(row), WIDE, span=2)}</w:tr>")
                blocks.append(_table(rows, TWO_COLS))
                empty = row.key not in self.fill.values
                content = _p(_r(PLACEHOLDER, grey=True)) if empty else "".join(self._paragraphs(row))
                blocks.append(self._sdt(row.name, "", content, empty=empty))
                rows = []
            elif row.kind == "multiline":
                rows.extend(self._wide(row, 2, WIDE))
            else:
                rows.append(self._pair(row, *TWO_COLS))
        if rows:
            blocks.append(_table(rows, TWO_COLS))
        return blocks


def new_document(definition: FormDefinition, fill: Fill) -> Document:
    """An empty Word document with the form's page header, and its footer and title unless lost."""
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = HEADER
    if fill.footer:
        section.footer.paragraphs[0].text = definition.label
        document.core_properties.title = definition.label
    return document


def write_docx(definition: FormDefinition, fill: Fill, style: str, path: Path) -> None:
    """Write `fill` as a CPI form of `definition`'s version in `style` (one of STYLES)."""
    if style not in STYLES:
        raise ValueError(f"unknown DOCX style: {style}")
    form = _DocxForm(definition, fill, style)
    document = new_document(definition, fill)
    document.core_properties.author = "Partnership Intelligence Unit"
    document.core_properties.last_modified_by = "Partner"
    body = document.element.body
    sect_pr = body.find(qn("w:sectPr"))
    for p in body.findall(qn("w:p")):
        body.remove(p)
    blocks = [_p(_r(definition.title, bold=True), '<w:jc w:val="center"/>'), _p(_r(INTRO))]
    for s in sections(definition):
        blocks.extend(form.section(s))
        blocks.append(_p())
    for xml in blocks:
        sect_pr.addprevious(parse_xml(_with_ns(xml)))
    document.save(str(path))


def _with_ns(xml: str) -> str:
    """The fragment with the WordprocessingML namespaces declared on its root element."""
    head, rest = xml.split(">", 1)
    return f"{head} {nsdecls('w', 'w14')}>{rest}"
