"""A second set of CPI form layouts, deliberately unlike the corpus, to test that parsing generalises.

`build_variants(out_dir)` writes each case beside its expected record (computed from the same
`Fill` as the corpus, never hand-written) and returns the `Case` list. Layout ids:
- `pdf_stacked`: each label on its own line, the answer below it, no borders.
- `pdf_inline`: `Label: value` on one line, some lines holding two fields side by side.
- `docx_paragraphs`: no tables, one paragraph per field, categories as `[X] Label` lines.
- `docx_subject_columns`: tables; Subject 1 and Subject 2 are two value columns of one table.
- `pdf_office_paragraphs`, `pdf_office_columns`: the two DOCX layouts saved as PDF by LibreOffice
  (built only where `soffice` is installed).
- `pdf_upper_narrow`: `UPPER-CASE LABELS:` wrapped in a 100 pt column, answers wrapped at
  another width; `pdf_upper_narrow_split` lets rows break across pages (v3: the section 7
  label starts at the foot of page 2 and ends on page 3).
- `pdf_form_hierarchical`: a fillable form whose fields are named as Designer/LibreOffice name
  them (`form1[0].page1[0].submitter_name[0]`).
- `pdf_glyph_boxes`: categories two per line with the box before the label, yes/no answers as
  `Yes ☒  No ☐` (box after the option).
"""
from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from docx.document import Document
from docx.shared import Pt
from docx.text.paragraph import Paragraph
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from parsers.definitions import FormDefinition, load_definitions

from . import office
from .data import FILLS, Fill
from .docx_forms import new_document
from .expected import expected_record
from .generate import CURRENT_VERSION, Case, _pages
from .layout import HEADER, INTRO, Row, Section, answer_text, option_phrases, printed_label, sections
from .pdf_forms import BOTTOM, DEJAVU, LEFT, PAGE_H, PAGE_W, RIGHT, TOP, write_pdf_form
from .values import typed

DEJAVU_BOLD = DEJAVU.with_name("DejaVuSans-Bold.ttf")
# layout id -> (file extension, record `document.format`)
LAYOUTS: dict[str, tuple[str, str]] = {
    "pdf_stacked": ("pdf", "pdf_text"),
    "pdf_inline": ("pdf", "pdf_text"),
    "docx_paragraphs": ("docx", "docx"),
    "docx_subject_columns": ("docx", "docx"),
    "pdf_office_paragraphs": ("pdf", "pdf_text"),
    "pdf_office_columns": ("pdf", "pdf_text"),
    "pdf_upper_narrow": ("pdf", "pdf_text"),
    "pdf_upper_narrow_split": ("pdf", "pdf_text"),
    "pdf_form_hierarchical": ("pdf", "pdf_form"),
    "pdf_glyph_boxes": ("pdf", "pdf_text"),
}
# (version, layout id) -> the corpus fill whose answers it carries (two subjects where columns need them).
VARIANT_FILLS: dict[tuple[str, str], tuple[str, str]] = {
    ("v1", "pdf_stacked"): ("v1", "docx_template"),
    ("v3", "pdf_stacked"): ("v3", "docx_legacy"),
    ("v2", "pdf_inline"): ("v2", "docx_legacy"),
    ("v3", "pdf_inline"): ("v3", "pdf_form"),
    ("v1", "docx_paragraphs"): ("v1", "docx_typed"),
    ("v3", "docx_paragraphs"): ("v3", "docx_template"),
    ("v2", "docx_subject_columns"): ("v2", "pdf_form"),
    ("v3", "docx_subject_columns"): ("v3", "pdf_word_export"),
    ("v3", "pdf_office_paragraphs"): ("v3", "docx_tracked"),
    ("v2", "pdf_office_columns"): ("v2", "docx_tracked"),
    ("v1", "pdf_upper_narrow"): ("v1", "pdf_text"),
    ("v3", "pdf_upper_narrow"): ("v3", "docx_tracked"),
    ("v3", "pdf_upper_narrow_split"): ("v3", "docx_tracked"),
    ("v2", "pdf_form_hierarchical"): ("v2", "pdf_form"),
    ("v3", "pdf_form_hierarchical"): ("v3", "pdf_text"),
    ("v1", "pdf_glyph_boxes"): ("v1", "pdf_word_export"),
    ("v3", "pdf_glyph_boxes"): ("v3", "docx_typed"),
}
NEEDS_SOFFICE = frozenset({"pdf_office_paragraphs", "pdf_office_columns"})
# Fields printed side by side in the inline layout (first key -> the key beside it).
SIDE_BY_SIDE = {"submitter.name": "submitter.role", "submitter.phone": "submitter.date_completed",
                "surname": "forenames", "date_of_birth": "gender", "postcode": "school_or_setting"}


# -- answers as printed --------------------------------------------------------------------------
def answer(definition: FormDefinition, fill: Fill, row: Row) -> str:
    """The answer to a text or choice row as the partner typed it ("" when empty)."""
    value = fill.values.get(row.key)
    if row.kind == "choice":
        return answer_text(definition, row.choice, value, fill.variant) if value else ""
    return typed(value)


def is_ticked(fill: Fill, row: Row) -> bool:
    return row.key.split(".")[1] in fill.categories


def is_other(row: Row) -> bool:
    return row.kind == "tick" and row.key.endswith(".other")


def short_key(row: Row) -> str:
    """`subjects[1].surname` -> `surname`; other keys unchanged."""
    return row.key.split(".")[1] if row.key.startswith("subjects[") else row.key


# -- a reportlab page writer ---------------------------------------------------------------------
def _fonts() -> tuple[str, str]:
    """DejaVu regular and bold (box glyphs and accents as text), else Helvetica."""
    if not (DEJAVU.exists() and DEJAVU_BOLD.exists()):
        return "Helvetica", "Helvetica-Bold"
    for name, path in (("DejaVuSans", DEJAVU), ("DejaVuSans-Bold", DEJAVU_BOLD)):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(path)))
    return "DejaVuSans", "DejaVuSans-Bold"


class _Pages:
    """Draws lines top to bottom over as many A4 pages as needed, with header and footer."""

    def __init__(self, path: Path, definition: FormDefinition, fill: Fill, size: float = 9) -> None:
        self.d, self.fill, self.size = definition, fill, size
        self.font, self.bold = _fonts()
        self.c = canvas.Canvas(str(path), pagesize=A4)
        if fill.footer:
            self.c.setTitle(definition.label)
        self.page, self.y = 1, TOP
        self._furniture()

    @property
    def leading(self) -> float:
        return self.size + 3

    def _furniture(self) -> None:
        self.c.setFont(self.font, 8)
        self.c.drawCentredString(PAGE_W / 2, PAGE_H - 35, HEADER)
        if self.fill.footer:
            self.c.drawString(LEFT, 30, self.d.label)
        self.c.drawRightString(RIGHT, 30, f"Page {self.page}")

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.c.showPage()
            self.page += 1
            self.y = TOP
            self._furniture()

    def width(self, text: str, bold: bool = False) -> float:
        return pdfmetrics.stringWidth(text, self.bold if bold else self.font, self.size)

    def draw(self, text: str, x: float, *, bold: bool = False, size: float | None = None) -> None:
        """Text on the current line (the cursor does not move)."""
        size = size or self.size
        self.c.setFont(self.bold if bold else self.font, size)
        self.c.drawString(x, self.y - size, text)

    def line(self, text: str, x: float = LEFT, *, bold: bool = False, size: float | None = None) -> None:
        self.need((size or self.size) + 3)
        self.draw(text, x, bold=bold, size=size)
        self.y -= (size or self.size) + 3

    def wrap(self, text: str, width: float, bold: bool = False) -> list[str]:
        """`text` broken into lines of at most `width`, paragraph by paragraph."""
        return [line for para in text.split("\n")
                for line in simpleSplit(para, self.bold if bold else self.font, self.size, width) or [""]]

    def columns(self, cells: list[tuple[float, list[str], bool]]) -> None:
        """Cells side by side (x, lines, bold), the cursor moved below the tallest."""
        height = max(len(lines) for _, lines, _ in cells) or 1
        for i in range(height):
            self.need(self.leading)
            for x, lines, bold in cells:
                if i < len(lines) and lines[i]:
                    self.draw(lines[i], x, bold=bold)
            self.y -= self.leading

    def gap(self, height: float) -> None:
        self.y -= height

    def save(self) -> None:
        self.c.save()


def _opening(pages: _Pages, title: str) -> None:
    pages.line(title, bold=True, size=14)
    pages.gap(6)
    for text in pages.wrap(INTRO, RIGHT - LEFT):
        pages.line(text)
    pages.gap(8)


# -- 1. stacked ------------------------------------------------------------------------------
def write_stacked(definition: FormDefinition, fill: Fill, path: Path) -> None:
    """Each label on its own line, the answer on the line(s) below, no borders."""
    pages = _Pages(path, definition, fill)
    _opening(pages, definition.title)
    for section in sections(definition):
        pages.gap(6)
        pages.line(section.printed_heading, bold=True, size=11)
        for group in section.groups:
            if group.title:
                pages.gap(3)
                pages.line(group.title, bold=True, size=10)
            for row in group.rows:
                if row.kind == "tick":
                    other = f" {fill.categories_other}" if is_other(row) and fill.categories_other else ""
                    pages.line(f"{'☒' if is_ticked(fill, row) else '☐'} {row.label}{other}")
                    continue
                pages.line(row.label, bold=True)
                for text in pages.wrap(answer(definition, fill, row), RIGHT - LEFT):
                    pages.line(text)
                pages.gap(4)
    pages.save()


# -- 2. inline -------------------------------------------------------------------------------
def _inline_cell(pages: _Pages, label: str, value: str, x: float, width: float) -> list[list[tuple[float, str, bool]]]:
    """`Label: value` from `x`, the value wrapping back to `x`: per line, the (x, text, bold) pieces."""
    lead = pages.width(label + " ", bold=True)
    lines: list[list[tuple[float, str, bool]]] = [[(x, label, True)]]
    current = ""

    def flush() -> None:
        if current:
            lines[-1].append((x + lead if len(lines) == 1 else x, current, False))

    for n, para in enumerate(value.split("\n") if value else []):
        if n:
            flush()
            lines.append([])
            current = ""
        for word in para.split():
            room = width - lead if len(lines) == 1 else width
            if current and pages.width(f"{current} {word}") > room:
                flush()
                lines.append([])
                current = word
            else:
                current = f"{current} {word}".strip()
    flush()
    return lines


def write_inline(definition: FormDefinition, fill: Fill, path: Path) -> None:
    """`Label: value` on one line, some lines with two fields side by side."""
    pages = _Pages(path, definition, fill)
    _opening(pages, definition.title)
    half = (RIGHT - LEFT) / 2
    for section in sections(definition):
        pages.gap(6)
        pages.line(section.printed_heading, bold=True, size=11)
        for group in section.groups:
            if group.title:
                pages.line(group.title, bold=True, size=10)
            rows = {short_key(r): r for r in group.rows}
            beside = {rows[b].key for a, b in SIDE_BY_SIDE.items() if a in rows and b in rows}
            for row in group.rows:
                if row.key in beside:
                    continue
                if row.kind == "tick":
                    ticked = "Yes" if is_ticked(fill, row) else "No"
                    other = f" – {fill.categories_other}" if is_other(row) and fill.categories_other else ""
                    pages.line(f"{printed_label(row.label, 'colon')} {ticked}{other}")
                    continue
                pair = [row] + ([rows[SIDE_BY_SIDE[short_key(row)]]] if short_key(row) in SIDE_BY_SIDE else [])
                width = half - 12 if len(pair) == 2 else RIGHT - LEFT
                cells = [_inline_cell(pages, printed_label(r.label, "colon"), answer(definition, fill, r),
                                      LEFT + i * half, width) for i, r in enumerate(pair)]
                for i in range(max(len(c) for c in cells)):
                    pages.need(pages.leading)
                    for x, text, bold in (piece for cell in cells if i < len(cell) for piece in cell[i]):
                        pages.draw(text, x, bold=bold)
                    pages.y -= pages.leading
    pages.save()


# -- 6. upper-case labels in a narrow column -----------------------------------------------------
def write_upper_narrow(definition: FormDefinition, fill: Fill, path: Path, *, split_rows: bool = False) -> None:
    """`LABEL:` wrapped in a 100 pt column; answers wrapped at a width that differs by version.

    With `split_rows` a row may break across pages, as Word lets table rows do by default.
    """
    pages = _Pages(path, definition, fill, size=10)
    _opening(pages, definition.title.upper())
    value_x = LEFT + 110
    value_width = {"v1": 240.0, "v2": 300.0}.get(definition.version, RIGHT - value_x)
    for section in sections(definition):
        pages.gap(8)
        pages.line(section.printed_heading.upper(), bold=True, size=11)
        for group in section.groups:
            if group.title:
                pages.line(f"{group.title.upper()}:", bold=True)
            for row in group.rows:
                label = f"{row.label.upper().rstrip('?.:')}:"
                if row.kind == "tick":
                    value = "X" if is_ticked(fill, row) else ""
                    if is_other(row) and fill.categories_other:
                        value = f"{value} {fill.categories_other}".strip()
                else:
                    value = answer(definition, fill, row)
                cells = [(LEFT, pages.wrap(label, 100, bold=True), True), (value_x, pages.wrap(value, value_width), False)]
                if not split_rows:
                    pages.need(pages.leading * len(cells[0][1]))
                pages.columns(cells)
                pages.gap(3)
    pages.save()


# -- 8. glyph boxes ------------------------------------------------------------------------------
def _options_after(definition: FormDefinition, fill: Fill, row: Row) -> list[str]:
    """A choice printed as its options, each followed by its box (`Yes ☒  No ☐`), one string per line."""
    value = fill.values.get(row.key)
    options = [(p, code == value) for code, p in option_phrases(definition, row.choice)]
    parts = [f"{phrase} {'☒' if on else '☐'}" for phrase, on in options]
    if row.choice == "source":
        return [" ".join(parts[i:i + 2]) for i in range(0, len(parts), 2)]
    return ["   ".join(parts)]


def write_glyph_boxes(definition: FormDefinition, fill: Fill, path: Path) -> None:
    """Borderless label/answer columns; categories two per line (box first), choices as `Yes ☒  No ☐`."""
    pages = _Pages(path, definition, fill)
    _opening(pages, definition.title)
    value_x = LEFT + 190
    for section in sections(definition):
        pages.gap(6)
        pages.line(section.printed_heading, bold=True, size=11)
        for group in section.groups:
            if group.title:
                pages.line(group.title, bold=True, size=10)
            ticks = [r for r in group.rows if r.kind == "tick" and not is_other(r)]
            for i in range(0, len(ticks), 2):
                pages.columns([(LEFT + 250 * j, [f"{'☒' if is_ticked(fill, r) else '☐'} {r.label}"], False)
                               for j, r in enumerate(ticks[i:i + 2])])
            for row in group.rows:
                if is_other(row):
                    other = f" {fill.categories_other}" if fill.categories_other else ""
                    pages.line(f"{'☒' if is_ticked(fill, row) else '☐'} {row.label}:{other}")
                if row.kind == "tick":
                    continue
                label = pages.wrap(row.label, value_x - LEFT - 12, bold=True)
                value = (_options_after(definition, fill, row) if row.kind == "choice"
                         else pages.wrap(answer(definition, fill, row), RIGHT - value_x))
                pages.columns([(LEFT, label, True), (value_x, value, False)])
                pages.gap(4)
    pages.save()


# -- 3 and 4. DOCX -----------------------------------------------------------------------------
def _document(definition: FormDefinition, fill: Fill) -> Document:
    document = new_document(definition, fill)
    document.styles["Normal"].font.size = Pt(10)
    document.add_paragraph().add_run(definition.title).bold = True
    document.add_paragraph(INTRO)
    return document


def _value_runs(paragraph: Paragraph, text: str) -> None:
    """The answer into a paragraph, its own paragraphs separated by line breaks."""
    for i, part in enumerate(text.split("\n")):
        if i:
            paragraph.add_run().add_break()
        paragraph.add_run(part)


def write_docx_paragraphs(definition: FormDefinition, fill: Fill, path: Path) -> None:
    """No tables: one `Label: value` paragraph per field, categories as `[X] Label` lines."""
    document = _document(definition, fill)
    for section in sections(definition):
        document.add_paragraph().add_run(section.printed_heading).bold = True
        for group in section.groups:
            if group.title:
                document.add_paragraph().add_run(group.title).bold = True
            for row in group.rows:
                p = document.add_paragraph()
                if row.kind == "tick":
                    other = f": {fill.categories_other}" if is_other(row) and fill.categories_other else ""
                    p.add_run(f"{'[X]' if is_ticked(fill, row) else '[ ]'} {row.label}{other}")
                    continue
                p.add_run(printed_label(row.label, "colon") + " ")
                _value_runs(p, answer(definition, fill, row))
    document.save(str(path))


def _table(document: Document, rows: list[list[str]], bold_first_row: bool = False) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            cell = table.cell(r, c)
            paragraph = cell.paragraphs[0]
            for i, part in enumerate(text.split("\n")):
                if i:
                    paragraph = cell.add_paragraph()
                run = paragraph.add_run(part)
                run.bold = bold_first_row and r == 0
    document.add_paragraph()


def _section_rows(definition: FormDefinition, fill: Fill, section: Section) -> list[list[str]]:
    rows = []
    for row in (r for g in section.groups for r in g.rows):
        if row.kind == "tick":
            mark = "✓" if is_ticked(fill, row) else ""
            if is_other(row) and fill.categories_other:
                mark = f"{mark} {fill.categories_other}".strip()
            rows.append([row.label, mark])
        else:
            rows.append([row.label, answer(definition, fill, row)])
    return rows


def write_docx_subject_columns(definition: FormDefinition, fill: Fill, path: Path) -> None:
    """Label/value tables; section 2 one table whose value columns are Subject 1 and Subject 2."""
    document = _document(definition, fill)
    for section in sections(definition):
        document.add_paragraph().add_run(section.printed_heading).bold = True
        if section.number == 2:
            header = ["", *(g.title or "" for g in section.groups)]
            body = [[row.label, *(answer(definition, fill, g.rows[i]) for g in section.groups)]
                    for i, row in enumerate(section.groups[0].rows)]
            _table(document, [header, *body], bold_first_row=True)
        else:
            _table(document, _section_rows(definition, fill, section))
    document.save(str(path))


# -- 7. hierarchical field names -----------------------------------------------------------------
def write_form_hierarchical(definition: FormDefinition, fill: Fill, path: Path) -> None:
    """The fillable form with its fields regrouped as `form1[0].page<n>[0].<name>[0]`."""
    with tempfile.TemporaryDirectory(prefix="cpi-variant-") as tmp:
        flat = Path(tmp) / "form.pdf"
        write_pdf_form(definition, fill, flat)
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(flat.read_bytes())))
    root = DictionaryObject({NameObject("/T"): TextStringObject("form1[0]"), NameObject("/Kids"): ArrayObject()})
    root_ref = writer._add_object(root)
    for n, page in enumerate(writer.pages, start=1):
        node = DictionaryObject({NameObject("/T"): TextStringObject(f"page{n}[0]"),
                                 NameObject("/Kids"): ArrayObject(), NameObject("/Parent"): root_ref})
        node_ref = writer._add_object(node)
        seen: set[int] = set()
        for annot in page.get("/Annots", []):
            widget = annot.get_object()
            field = widget["/Parent"] if "/Parent" in widget else widget
            ref = field.indirect_reference
            if ref.idnum in seen or "/T" not in field:
                continue
            seen.add(ref.idnum)
            field[NameObject("/T")] = TextStringObject(f"{field['/T']}[0]")
            field[NameObject("/Parent")] = node_ref
            node["/Kids"].append(ref)
        if node["/Kids"]:
            root["/Kids"].append(node_ref)
    writer._root_object["/AcroForm"][NameObject("/Fields")] = ArrayObject([root_ref])
    with path.open("wb") as out:
        writer.write(out)


# -- building ------------------------------------------------------------------------------------
WRITERS: dict[str, Callable[[FormDefinition, Fill, Path], None]] = {
    "pdf_stacked": write_stacked,
    "pdf_inline": write_inline,
    "docx_paragraphs": write_docx_paragraphs,
    "docx_subject_columns": write_docx_subject_columns,
    "pdf_office_paragraphs": write_docx_paragraphs,
    "pdf_office_columns": write_docx_subject_columns,
    "pdf_upper_narrow": write_upper_narrow,
    "pdf_upper_narrow_split": partial(write_upper_narrow, split_rows=True),
    "pdf_form_hierarchical": write_form_hierarchical,
    "pdf_glyph_boxes": write_glyph_boxes,
}


def build_variants(out_dir: Path) -> list[Case]:
    """Write every variant (those needing LibreOffice only where it is installed); return the cases."""
    definitions = load_definitions()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    has_soffice = office.soffice() is not None
    built: list[tuple[str, str, Path]] = []
    with tempfile.TemporaryDirectory(prefix="cpi-variants-") as tmp_name:
        to_convert: list[Path] = []
        for (version, layout_id), fill_key in VARIANT_FILLS.items():
            if layout_id in NEEDS_SOFFICE and not has_soffice:
                continue
            name = f"{version}_{layout_id}"
            path = out_dir / f"{name}.{LAYOUTS[layout_id][0]}"
            if layout_id in NEEDS_SOFFICE:
                source = Path(tmp_name) / f"{name}.docx"
                WRITERS[layout_id](definitions[version], FILLS[fill_key], source)
                to_convert.append(source)
            else:
                WRITERS[layout_id](definitions[version], FILLS[fill_key], path)
            built.append((version, layout_id, path))
        if to_convert:
            office.convert(to_convert, "pdf", out_dir)
    cases = []
    for version, layout_id, path in built:
        fill = FILLS[VARIANT_FILLS[(version, layout_id)]]
        expected = expected_record(fill, definitions[version], path, LAYOUTS[layout_id][1], _pages(path),
                                   current=CURRENT_VERSION)
        (out_dir / f"{path.stem}.expected.json").write_text(
            json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        cases.append(Case(path.stem, version, layout_id, path, expected))
    return cases
