"""CPI forms as PDF: the fillable AcroForm version, and the form flattened / printed to PDF."""
from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from parsers.definitions import FormDefinition

from .data import Fill
from .layout import HEADER, INTRO, Row, answer_text, option_phrases, printed_label, sections
from .values import typed

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
PAGE_W, PAGE_H = A4
LEFT, RIGHT, TOP, BOTTOM = 50.0, PAGE_W - 50.0, PAGE_H - 60.0, 60.0
ON_NAMES = ("Yes", "On", "1")  # "on" export names of check boxes, varied across cases
MARK_STYLES = ("dejavu", "vector_x", "zapf", "vector_tick")  # how a flattened form shows its boxes
ZAPF = {True: "✔", False: "❑"}  # drawn from ZapfDingbats (its codes "4" and "q")


def _body_font() -> str:
    """DejaVuSans where the system has it (boxes and accents as text), else Helvetica."""
    if DEJAVU.exists():
        if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(DEJAVU)))
        return "DejaVuSans"
    return "Helvetica"


def _furniture(c: canvas.Canvas, definition: FormDefinition, fill: Fill, page: int, font: str) -> None:
    c.saveState()
    c.setFont(font, 9)
    c.drawCentredString(PAGE_W / 2, PAGE_H - 35, HEADER)
    if fill.footer:
        c.drawString(LEFT, 30, definition.label)
    c.drawRightString(RIGHT, 30, f"Page {page}")
    c.restoreState()


# -- fillable form -----------------------------------------------------------------------------
class _FormCanvas:
    """Lays out one fillable form top to bottom, starting new pages as needed."""

    def __init__(self, definition: FormDefinition, fill: Fill, out: io.BytesIO) -> None:
        self.d, self.fill = definition, fill
        self.c = canvas.Canvas(out, pagesize=A4)
        if fill.footer:
            self.c.setTitle(definition.label)
        self.c.setAuthor("Partnership Intelligence Unit")
        self.page, self.y = 1, TOP
        _furniture(self.c, definition, fill, 1, "Helvetica")

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.c.showPage()
            self.page += 1
            self.y = TOP
            _furniture(self.c, self.d, self.fill, self.page, "Helvetica")

    def text(self, text: str, size: float = 9, bold: bool = False, x: float = LEFT, width: float = 170) -> int:
        lines = simpleSplit(text, "Helvetica-Bold" if bold else "Helvetica", size, width)
        self.c.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        for i, line in enumerate(lines):
            self.c.drawString(x, self.y - size - i * (size + 2), line)
        return len(lines)

    def heading(self, text: str) -> None:
        self.need(40)
        self.y -= 8
        self.c.setFillColor(colors.lightgrey)
        self.c.rect(LEFT - 2, self.y - 16, RIGHT - LEFT + 4, 16, stroke=0, fill=1)
        self.c.setFillColor(colors.black)
        self.text(text, 11, bold=True, x=LEFT + 2, width=RIGHT - LEFT)
        self.y -= 22

    def row(self, row: Row) -> None:
        label, value = row.label, self.fill.values.get(row.key)
        if row.kind == "choice":
            options = option_phrases(self.d, row.choice)
            height = 14 * (len(options) if row.choice == "source" else 1)
            self.need(max(height, 24))
            lines = self.text(label)
            for i, (code, phrase) in enumerate(options):
                x, y = (230, self.y - 12 - 14 * i) if row.choice == "source" else (230 + 90 * i, self.y - 12)
                self.c.acroForm.radio(name=row.name, value=code, selected=code == value, x=x, y=y, size=10,
                                      buttonStyle="circle", shape="circle", borderWidth=1, fieldFlags="radio")
                self.c.setFont("Helvetica", 9)
                self.c.drawString(x + 14, y + 2, phrase)
            self.y -= max(height, lines * 11) + 8
            return
        multiline = row.kind == "multiline"
        height = 66.0 if multiline else 16.0
        self.need(height + 8)
        lines = self.text(label)
        self.c.acroForm.textfield(name=row.name, value=typed(value), x=230, y=self.y - height, width=RIGHT - 230,
                                  height=height, fontName="Helvetica", fontSize=9, borderWidth=1,
                                  fieldFlags="multiline" if multiline else "", forceBorder=True)
        self.y -= max(height, lines * 11) + 8

    def tick(self, row: Row) -> None:
        self.need(18)
        ticked = row.key.split(".")[1] in self.fill.categories
        self.c.acroForm.checkbox(name=row.name, checked=ticked, x=LEFT, y=self.y - 12, size=11, buttonStyle="cross",
                                 borderWidth=1, fieldFlags="")
        self.text(row.label, x=LEFT + 18, width=200)
        if row.key.endswith(".other"):
            self.c.acroForm.textfield(name="categories_other", value=self.fill.categories_other or "", x=230,
                                      y=self.y - 14, width=RIGHT - 230, height=15, fontName="Helvetica",
                                      fontSize=9, borderWidth=1, forceBorder=True)
        self.y -= 18


def _rename_on_state(data: bytes, on: str) -> bytes:
    """Give the check boxes `on` as their "on" appearance / export name instead of `Yes`."""
    if on == "Yes":
        return data
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        for annot in page.get("/Annots", []):
            widget = annot.get_object()
            if widget.get("/FT") != "/Btn" or "/Parent" in widget:
                continue
            for key in ("/N", "/D"):
                states = widget["/AP"][key]
                if "/Yes" in states:
                    states[NameObject(f"/{on}")] = states.pop("/Yes")
            for key in ("/V", "/AS"):
                if widget.get(key) == "/Yes":
                    widget[NameObject(key)] = NameObject(f"/{on}")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_pdf_form(definition: FormDefinition, fill: Fill, path: Path) -> None:
    """A fillable AcroForm with `fill`'s values set in its fields."""
    out = io.BytesIO()
    form = _FormCanvas(definition, fill, out)
    form.text(definition.title, 14, bold=True, width=RIGHT - LEFT)
    form.y -= 24
    form.text(INTRO, 9, width=RIGHT - LEFT)
    form.y -= 30
    for section in sections(definition):
        form.heading(section.printed_heading)
        for group in section.groups:
            if group.title:
                form.need(30)
                form.text(group.title, 10, bold=True)
                form.y -= 16
            for row in group.rows:
                if row.kind == "tick":
                    form.tick(row)
                else:
                    form.row(row)
    form.c.save()
    path.write_bytes(_rename_on_state(out.getvalue(), ON_NAMES[fill.variant % len(ON_NAMES)]))


# -- flattened / printed form ------------------------------------------------------------------
class _Marks(Flowable):
    """Check boxes drawn as vector shapes (a square, an X or a tick as lines), each with its word."""

    def __init__(self, options: list[tuple[str, bool]], style: str, font: str) -> None:
        super().__init__()
        self.options, self.style, self.font = options, style, font
        self.height = 12.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, self.height

    def draw(self) -> None:
        c, x = self.canv, 0.0
        c.setLineWidth(0.8)
        for word, checked in self.options:
            c.rect(x, 1, 9, 9, stroke=1, fill=0)
            if checked and self.style == "vector_x":
                c.line(x + 1.5, 2.5, x + 7.5, 8.5)
                c.line(x + 1.5, 8.5, x + 7.5, 2.5)
            elif checked:
                c.lines([(x + 1.5, 5.5, x + 4, 2.5), (x + 4, 2.5, x + 8, 9)])
            x += 13
            if word:
                c.setFont(self.font, 9)
                c.drawString(x, 2.5, word)
                x += pdfmetrics.stringWidth(word, self.font, 9) + 14


class _TextForm:
    """Builds the flowables of a flattened form: a bordered table of labels and values per section."""

    def __init__(self, definition: FormDefinition, fill: Fill) -> None:
        self.d, self.fill = definition, fill
        self.font = _body_font()
        self.marks = MARK_STYLES[fill.variant % len(MARK_STYLES)]
        if self.marks == "dejavu" and self.font != "DejaVuSans":
            self.marks = "zapf"
        self.option_lists = fill.variant % 2 == 1
        self.label_style = ("plain", "colon", "upper")[fill.variant % 3]
        self.style = ParagraphStyle("cell", fontName=self.font, fontSize=9, leading=11)
        self.bold = ParagraphStyle("head", parent=self.style, fontName=self.font, fontSize=11, leading=14)

    def para(self, text: str) -> Paragraph:
        return Paragraph(escape(text), self.style)

    def marks_flowable(self, options: list[tuple[str, bool]]) -> Flowable:
        if self.marks.startswith("vector"):
            return _Marks(options, self.marks, self.font)
        if self.marks == "zapf":
            parts = [f'<font name="ZapfDingbats">{ZAPF[checked]}</font> {escape(word)}' for word, checked in options]
        else:
            parts = [f"{'☒' if checked else '☐'} {escape(word)}" for word, checked in options]
        return Paragraph("&nbsp;&nbsp;&nbsp;".join(parts).strip(), self.style)

    def value(self, row: Row) -> Flowable | list[Flowable]:
        value = self.fill.values.get(row.key)
        if row.kind == "tick":
            ticked = row.key.split(".")[1] in self.fill.categories
            mark = self.marks_flowable([("", ticked)])
            if row.key.endswith(".other") and self.fill.categories_other:
                return [mark, self.para(self.fill.categories_other)]
            return mark
        if row.kind == "choice":
            if not self.option_lists:
                return self.para(answer_text(self.d, row.choice, value, self.fill.variant) if value else "")
            options = option_phrases(self.d, row.choice)
            if row.choice == "source":
                return [self.marks_flowable([(phrase, code == value)]) for code, phrase in options]
            return self.marks_flowable([(phrase, code == value) for code, phrase in options])
        paragraphs = typed(value).split("\n")
        return [Paragraph(escape(p), ParagraphStyle("p", parent=self.style, spaceBefore=8 if i else 0))
                for i, p in enumerate(paragraphs)]

    def table(self, rows: list[list], spans: list[int]) -> Table:
        t = Table(rows, colWidths=[165, RIGHT - LEFT - 165])
        commands = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]
        commands += [("SPAN", (0, i), (1, i)) for i in spans]
        t.setStyle(TableStyle(commands))
        return t

    def flowables(self) -> list[Flowable]:
        out: list[Flowable] = [Paragraph(escape(self.d.title), ParagraphStyle("t", parent=self.bold, fontSize=14,
                                                                            leading=18)),
                               Spacer(1, 6), self.para(INTRO), Spacer(1, 10)]
        for section in sections(self.d):
            rows, spans = [[Paragraph(escape(section.printed_heading), self.bold), ""]], [0]
            for group in section.groups:
                if group.title:
                    spans.append(len(rows))
                    rows.append([Paragraph(f"<b>{escape(group.title)}</b>", self.style), ""])
                for row in group.rows:
                    label = printed_label(row.label, self.label_style)
                    rows.append([self.para(label), self.value(row)])
            out += [self.table(rows, spans), Spacer(1, 10)]
        return out


def write_pdf_text(definition: FormDefinition, fill: Fill, path: Path) -> None:
    """The form as a flattened / printed PDF: text in a bordered label/value table, boxes as glyphs or shapes."""
    form = _TextForm(definition, fill)

    def on_page(c: canvas.Canvas, doc: SimpleDocTemplate) -> None:
        _furniture(c, definition, fill, doc.page, form.font)

    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=LEFT, rightMargin=LEFT, topMargin=PAGE_H - TOP,
                            bottomMargin=BOTTOM, title=definition.label if fill.footer else "",
                            author="Partnership Intelligence Unit")
    doc.build(form.flowables(), onFirstPage=on_page, onLaterPages=on_page)
