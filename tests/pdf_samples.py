"""Small CPI-like PDFs built with reportlab for the PDF reader tests and timing."""
from __future__ import annotations

import io
from typing import Literal

import pypdfium2 as pdfium
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
HEADER = "OFFICIAL-SENSITIVE (when complete)"
FOOTER = "CPI Form v3.1 – March 2023"
TITLE = "Community Partnership Information Sharing (CPI) Form"

CATEGORIES = [
    ("Missing, Exploited, Trafficked", False),
    ("Child Sexual or Criminal Exploitation", True),
    ("Drug Related Harm", True),
    ("Modern Day Slavery", False),
    ("Community Cohesion", False),
    ("Anti-Social Behaviour", False),
    ("Organised Crime", False),
    ("COVID related incidents", False),
    ("Other (please specify)", False),
]
DETAILS = [
    ("Your name", "Priya Shah"),
    ("Job title / role", "Designated Safeguarding Lead"),
    ("Organisation", "Northam Academy"),
    ("Email address", "p.shah@northam.sch.uk"),
    ("Telephone number", "023 8022 1234"),
    ("Date completed", "20/11/2026"),
]
SUBJECT = [
    ("Surname", "O'Neill"),
    ("Forename(s)", "Jamie Lee"),
    ("Date of birth", "04/03/2010"),
    ("Gender", "Male"),
    ("Address", "12 Portswood Road, Southampton"),
    ("Postcode", "SO17 2FW"),
    ("School / setting", "Northam Academy"),
]
INFORMATION = (
    "Jamie has been seen getting into a grey Audi outside the school gates on three occasions "
    "after 3pm. He has new clothes and two mobile phones and says he does deliveries for a friend. "
) * 3

BoxStyle = Literal["glyph", "zapf", "vector", "none"]


def _register_font() -> None:
    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", FONT_FILE))


class VectorBox(Flowable):
    """A 10 pt square drawn as a path, ticked with two crossing lines when checked."""

    def __init__(self, checked: bool) -> None:
        super().__init__()
        self.checked = checked
        self.width = self.height = 10

    def draw(self) -> None:
        c = self.canv
        c.setLineWidth(0.8)
        c.rect(0, 0, 10, 10, stroke=1, fill=0)
        if self.checked:
            c.line(2, 2, 8, 8)
            c.line(2, 8, 8, 2)


def _box_cell(checked: bool, style: BoxStyle, para_style) -> object:
    if style == "glyph":
        return Paragraph(f'<font name="DejaVu">{"☒" if checked else "☐"}</font>', para_style)
    if style == "zapf":
        return Paragraph(f'<font name="ZapfDingbats">{"✔" if checked else "❏"}</font>', para_style)
    if style == "vector":
        return VectorBox(checked)
    return Paragraph("X" if checked else "", para_style)


def _table(rows: list[list[object]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


def cpi_text_pdf(boxes: BoxStyle = "glyph", title: str | None = FOOTER) -> bytes:
    """A 3-page v3 CPI form as a word processor exports it: tables, header, footer, ticked boxes."""
    _register_font()
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    heading = styles["Heading2"]
    out = io.BytesIO()

    def furniture(c: canvas.Canvas, _doc) -> None:
        c.saveState()
        c.setFont("Helvetica-Bold", 9)
        c.drawCentredString(A4[0] / 2, A4[1] - 30, HEADER)
        c.setFont("DejaVu", 8)
        c.drawString(40, 25, FOOTER)
        c.drawRightString(A4[0] - 40, 25, f"Page {c.getPageNumber()}")
        c.restoreState()

    doc = SimpleDocTemplate(out, pagesize=A4, title=title or "", topMargin=60, bottomMargin=60)
    story: list[Flowable] = [Paragraph(TITLE, styles["Title"]), Paragraph("1. Your details", heading)]
    story.append(_table([[Paragraph(k, body), Paragraph(v, body)] for k, v in DETAILS], [170, 320]))
    story += [Paragraph("2. Person(s) the information is about", heading), Paragraph("Subject 1", body)]
    story.append(_table([[Paragraph(k, body), Paragraph(v, body)] for k, v in SUBJECT], [170, 320]))
    story += [Paragraph("Subject 2", body)]
    story.append(_table([[Paragraph(k, body), ""] for k, _ in SUBJECT], [170, 320]))
    story += [PageBreak(), Paragraph("3. Category of concern (tick all that apply)", heading)]
    story.append(_table([[Paragraph(k, body), _box_cell(v, boxes, body)] for k, v in CATEGORIES], [300, 40]))
    story += [Paragraph("4. The information", heading)]
    story.append(_table([
        [Paragraph("Information being shared", body), Paragraph(INFORMATION, body)],
        [Paragraph("Date the information was obtained", body), Paragraph("18/11/2026", body)],
        [Paragraph("How do you know this information?", body), Paragraph("Someone else told me", body)],
        [Paragraph("Other people, places or vehicles involved", body), Paragraph("Grey Audi A3 HX19 ABC", body)],
    ], [170, 320]))
    story += [PageBreak(), Paragraph("5. Consent and contact", heading)]
    story.append(_table([
        [Paragraph("Is the person aware this information is being shared?", body), Paragraph("No", body)],
        [Paragraph("Has a MASH referral been made?", body), Paragraph("Yes", body)],
        [Paragraph("May police contact you about this information?", body), Paragraph("Yes", body)],
    ], [300, 190]))
    story += [Paragraph("6. Difficulties, risks or concerns if police act", heading),
              Paragraph("Please explain any difficulties, risks or concerns you have if police were to take "
                        "action on this information.", body),
              _table([[Paragraph("The family may move him out of area if they learn the school spoke to police.",
                                 body)]], [490]),
              Paragraph("7. Mitigation", heading),
              Paragraph("How do you feel these risks or concerns might be mitigated?", body),
              _table([[Paragraph("Contact through the safeguarding lead only.", body)]], [490]),
              Spacer(1, 12)]
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return out.getvalue()


def cpi_fillable_pdf(filled: bool = True) -> bytes:
    """A one-page fillable form: text fields, check boxes with on-names Yes/On/1, radio groups."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setTitle(FOOTER)
    c.setFont("Helvetica", 9)
    c.drawCentredString(A4[0] / 2, A4[1] - 30, HEADER)
    c.drawString(40, 25, FOOTER)
    form = c.acroForm
    y = A4[1] - 80
    texts = [("Your name", "submitter_name", "Priya Shah"), ("Surname", "subjects_0_surname", "O'Neill"),
             ("Forename(s)", "subjects_0_forenames", "Jamie Lee"), ("Postcode", "subjects_0_postcode", "")]
    for label, name, value in texts:
        c.drawString(40, y + 5, label)
        form.textfield(name=name, value=value if filled else "", x=200, y=y, width=250, height=18,
                       borderWidth=0.5, fontSize=9)
        y -= 26
    boxes = [("Drug Related Harm", "cat_drug_related_harm", True),
             ("Child Sexual or Criminal Exploitation", "cat_child_sexual_or_criminal_exploitation", True),
             ("Modern Day Slavery", "cat_modern_day_slavery", True),
             ("Organised Crime", "cat_organised_crime", False)]
    for label, name, checked in boxes:
        c.drawString(40, y + 3, label)
        form.checkbox(name=name, checked=checked and filled, x=200, y=y, size=12, buttonStyle="cross")
        y -= 22
    c.drawString(40, y + 3, "Is the person aware this information is being shared?")
    for i, option in enumerate(["yes", "no", "unknown"]):
        form.radio(name="consent_subject_aware", value=option, selected=filled and option == "no",
                   x=300 + i * 60, y=y, size=12)
        c.drawString(316 + i * 60, y + 3, option.capitalize())
    y -= 22
    c.drawString(40, y + 3, "How do you know this information?")
    for i, option in enumerate(["first_hand", "told_by_third_party"]):
        form.radio(name="information_source", value=option, selected=filled and option == "first_hand",
                   x=300 + i * 90, y=y, size=12)
    c.showPage()
    c.save()
    return _rename_on_states(out.getvalue(), {"cat_child_sexual_or_criminal_exploitation": "On",
                                              "cat_modern_day_slavery": "1"})


def _rename_on_states(data: bytes, on_names: dict[str, str]) -> bytes:
    """Give some check boxes another on-name than `Yes` (as other form producers do)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for annot_ref in writer.pages[0].get("/Annots", []):
        annot = annot_ref.get_object()
        name = annot.get("/T")
        if name not in on_names:
            continue
        new = NameObject("/" + on_names[name])
        for kind in ("/N", "/D"):
            states = annot["/AP"].get(kind)
            if states is None:
                continue
            states = states.get_object()
            if "/Yes" in states:
                states[new] = states.pop("/Yes")
        for key in ("/V", "/AS"):
            if annot.get(key) == "/Yes":
                annot[NameObject(key)] = new
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def scanned_pdf(source: bytes, dpi: int = 200, angle: float = 1.0) -> bytes:
    """An image-only PDF: every page of `source` rendered to greyscale and turned by `angle` degrees."""
    pdf = pdfium.PdfDocument(source)
    images: list[Image.Image] = []
    try:
        for page in pdf:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            images.append(image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255))
            page.close()
    finally:
        pdf.close()
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


def encrypted_pdf(source: bytes, user_password: str, owner_password: str = "owner") -> bytes:
    """`source` encrypted (AES-256); an empty `user_password` makes an owner-password-only PDF."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_pages_pdf(count: int) -> bytes:
    """`count` empty pages."""
    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(width=A4[0], height=A4[1])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
