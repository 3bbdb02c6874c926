"""Small CPI-like PDFs built with reportlab for the PDF reader tests and timing."""
from __future__ import annotations

import io
import random
from typing import Literal

import numpy as np

import pypdfium2 as pdfium
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf import Transformation
from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, IndirectObject, NameObject,
                           RectangleObject, StreamObject)
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


def _form_page(out: io.BytesIO) -> canvas.Canvas:
    """A canvas for a one-page form: title metadata, header and footer drawn."""
    c = canvas.Canvas(out, pagesize=A4)
    c.setTitle(FOOTER)
    c.setFont("Helvetica", 9)
    c.drawCentredString(A4[0] / 2, A4[1] - 30, HEADER)
    c.drawString(40, 25, FOOTER)
    return c


def cpi_fillable_pdf(filled: bool = True) -> bytes:
    """A one-page fillable form: text fields, check boxes with on-names Yes/On/1, radio groups."""
    out = io.BytesIO()
    c = _form_page(out)
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


# --- what real producers send: transformations of a finished form ------------------------------

def _write(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def rotated_pdf(source: bytes, degrees: int) -> bytes:
    """`source` with each page's content turned against a /Rotate of `degrees`: it displays upright.

    As a form printed landscape or a page a scanner stored sideways with a rotation to show it.
    """
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    for page in writer.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        shift = {90: (height, 0), 180: (width, height), 270: (0, width)}[degrees]
        page.add_transformation(Transformation().rotate(degrees).translate(*shift))
        if degrees != 180:
            page.mediabox = RectangleObject((0, 0, height, width))
        page.cropbox = page.mediabox
        page.rotate(degrees)
    return _write(writer)


def page_images(source: bytes, dpi: int) -> list[Image.Image]:
    """Every page of `source` rendered to greyscale at `dpi`."""
    pdf = pdfium.PdfDocument(source)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in pdf]
    finally:
        pdf.close()


def images_pdf(images: list[Image.Image], dpi: int, quality: int = 75) -> bytes:
    """An image-only PDF, one JPEG (DCTDecode) image per page."""
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi, quality=quality)
    return out.getvalue()


def sideways_scan(source: bytes, degrees: int, dpi: int = 200) -> bytes:
    """A scan fed in sideways or upside down: each page image turned by `degrees` counter-clockwise, no /Rotate."""
    images = [image.rotate(degrees, expand=True) for image in page_images(source, dpi)]
    return images_pdf(images, dpi)


def garbled_text_layer(source: bytes) -> bytes:
    """`source` with every font's text mapped into the private use area, as fonts without a usable Unicode map extract."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    cmap = StreamObject()
    cmap.set_data(b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Garbled def "
                  b"1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfrange <00> <FF> <E000> endbfrange "
                  b"endcmap CMapName currentdict /CMap defineresource pop end end")
    cmap_ref = writer._add_object(cmap)
    for page in writer.pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            ref.get_object()[NameObject("/ToUnicode")] = cmap_ref
    return _write(writer)


def ocr_layered_scan(source: bytes, dpi: int = 200) -> bytes:
    """A scan with an invisible OCR text layer (render mode 3), as scanners and ocrmypdf make it.

    Each page is the page image with the words of `source` laid invisibly over it; check-box
    glyphs are left out, as OCR engines drop them, so boxes exist only in the image.
    """
    from reportlab.lib.utils import ImageReader

    out = io.BytesIO()
    c = canvas.Canvas(out)
    pdf = pdfium.PdfDocument(source)
    try:
        for page in pdf:
            width, height = page.get_size()
            c.setPageSize((width, height))
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            c.drawImage(ImageReader(image), 0, 0, width, height)
            text = c.beginText()
            text.setTextRenderMode(3)
            for word, (left, bottom, right, top) in _page_words(page):
                size = max(top - bottom, 1.0)
                natural = pdfmetrics.stringWidth(word, "Helvetica", size)
                text.setFont("Helvetica", size)
                text.setHorizScale(100 * (right - left) / natural if natural else 100)
                text.setTextOrigin(left, bottom)
                text.textOut(word)
            c.drawText(text)
            c.showPage()
            page.close()
    finally:
        pdf.close()
    c.save()
    return out.getvalue()


def _page_words(page: pdfium.PdfPage) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Whitespace-separated words of a page in Latin-1 with their boxes; box glyphs dropped."""
    textpage = page.get_textpage()
    words: list[tuple[str, tuple[float, float, float, float]]] = []
    chars: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []

    def flush() -> None:
        if chars:
            words.append(("".join(chars), (min(b[0] for b in boxes), min(b[1] for b in boxes),
                                           max(b[2] for b in boxes), max(b[3] for b in boxes))))
            chars.clear()
            boxes.clear()

    try:
        text = textpage.get_text_range()
        for i, char in enumerate(text):
            if char.isspace() or ord(char) < 32 or char not in LATIN_1 or char in "48nopqr" and _dingbat(textpage, i):
                flush()
                continue
            chars.append(char)
            boxes.append(textpage.get_charbox(i, loose=True))
            if len(chars) > 1 and boxes[-1][0] - boxes[-2][2] > 3 * (boxes[-1][3] - boxes[-1][1]):
                last_char, last_box = chars.pop(), boxes.pop()
                flush()
                chars.append(last_char)
                boxes.append(last_box)
        flush()
    finally:
        textpage.close()
    return words


LATIN_1 = frozenset(chr(c) for c in range(32, 256)) | {"–", "’"}


def _dingbat(textpage: pdfium.PdfTextPage, index: int) -> bool:
    import ctypes

    import pypdfium2.raw as pdfium_c

    buffer = ctypes.create_string_buffer(128)
    pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, buffer, 128, None)
    return b"Dingbat" in buffer.value


def phone_photo(source: bytes, dpi: int = 150, angle: float = 3.0, seed: int = 3) -> bytes:
    """Pages photographed with a phone: colour JPEG at `dpi`, turned `angle` degrees, light falling off across the page."""
    rng = random.Random(seed)
    images = []
    for image in page_images(source, dpi):
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=235)
        width, height = image.size
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        light = 1.0 - 0.5 * (x / width * 0.4 + y / height * 0.6)  # bright top-left, dim bottom-right
        pixels = np.asarray(image, dtype=np.float32) * light
        pixels += np.frombuffer(rng.randbytes(width * height), dtype=np.uint8).reshape(height, width) * 0.08 - 10
        grey = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        tint = Image.merge("RGB", (grey, grey.point(lambda v: v * 0.97), grey.point(lambda v: v * 0.9)))
        images.append(tint)
    return images_pdf(images, dpi, quality=70)


def with_leading_pages(source: bytes, cover_letter: bool = True, blank: bool = True) -> bytes:
    """`source` after a typed cover letter and/or a blank page, as partners put them in front of a form."""
    writer = PdfWriter()
    if cover_letter:
        writer.append(PdfReader(io.BytesIO(cover_letter_pdf())))
    if blank:
        writer.add_blank_page(width=A4[0], height=A4[1])
    writer.append(PdfReader(io.BytesIO(source)))
    return _write(writer)


def cover_letter_pdf() -> bytes:
    """A one-page letter sent with a form (it mentions a name, an organisation and a date)."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    lines = ["Northam Academy", "Safeguarding Office", "", "18 November 2026", "", "Dear Intelligence Unit,", "",
             "Please find attached our Community Partnership Information form about a pupil.",
             "We have concerns about his safety outside school and would welcome your advice.",
             "Please contact me if you need anything further.", "",
             "Yours sincerely,", "", "Designated Safeguarding Lead"]
    c.setFont("Helvetica", 11)
    for i, line in enumerate(lines):
        c.drawString(72, A4[1] - 90 - 16 * i, line)
    c.showPage()
    c.save()
    return out.getvalue()


def saved_by_viewer(source: bytes, keep_values: bool) -> bytes:
    """A fillable form as a PDF viewer saves it: appearances drawn, no /NeedAppearances.

    Without `keep_values` the text fields lose /V and buttons keep only their /AS state, so the
    answers exist only in the widgets' appearance streams (as some producers leave them).
    """
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    acroform = writer.root_object["/AcroForm"].get_object()
    acroform.pop("/NeedAppearances", None)
    if not keep_values:
        for page in writer.pages:
            for ref in page.get("/Annots", []):
                widget = ref.get_object()
                widget.pop("/V", None)
                parent = widget.get("/Parent")
                if parent is not None:
                    parent.get_object().pop("/V", None)
    return _write(writer)


def printed_to_pdf(source: bytes) -> bytes:
    """A filled form "printed to PDF": widgets drawn into the page content, the form fields gone."""
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument(source)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_PRINT)
            page.close()
        flat = io.BytesIO()
        pdf.save(flat)
    finally:
        pdf.close()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(flat.getvalue())))
    writer.root_object.pop("/AcroForm", None)
    return _write(writer)


# --- a fillable form with Acrobat-style appearances, flattened by merging them into the page -------

SOURCE_OPTIONS = ["I saw or heard it myself", "The person told me", "Someone else told me", "From records", "Other"]
CONSENT_QUESTIONS = [
    ("Is the person aware this information is being shared?", "consent_subject_aware", ["Yes", "No", "Don't know"]),
    ("Has a MASH referral been made?", "consent_mash_referral_made", ["Yes", "No"]),
    ("May police contact you about this information?", "consent_may_contact_submitter", ["Yes", "No"]),
]
KAPPA = 0.5523  # Bézier control distance of a quarter circle, per unit radius


def _circle(cx: float, cy: float, r: float) -> str:
    """A closed circle path of four Bézier curves."""
    k = KAPPA * r
    return (f"{cx + r:.2f} {cy:.2f} m {cx + r:.2f} {cy + k:.2f} {cx + k:.2f} {cy + r:.2f} {cx:.2f} {cy + r:.2f} c "
            f"{cx - k:.2f} {cy + r:.2f} {cx - r:.2f} {cy + k:.2f} {cx - r:.2f} {cy:.2f} c "
            f"{cx - r:.2f} {cy - k:.2f} {cx - k:.2f} {cy - r:.2f} {cx:.2f} {cy - r:.2f} c "
            f"{cx + k:.2f} {cy - r:.2f} {cx + r:.2f} {cy - k:.2f} {cx + r:.2f} {cy:.2f} c h")


def _check_appearance(size: float, on: bool) -> str:
    """A bevelled check box: white background, black border, grey and white bevels, a ZapfDingbats check."""
    s, i = size, size - 1
    drawing = (f"1 g 0 0 {s} {s} re f 0 G 1 w 0.5 0.5 {s - 1} {s - 1} re S "
               f"1 g 1 1 m 1 {i} l {i} {i} l {i - 1} {i - 1} l 2 {i - 1} l 2 2 l f "
               f"0.75293 g {i} {i} m {i} 1 l 1 1 l 2 2 l {i - 1} 2 l {i - 1} {i - 1} l f")
    if on:
        drawing += f" q 1 1 {s - 2} {s - 2} re W n BT 0 g /ZaDb {s * 0.7:.1f} Tf {s * 0.2:.1f} {s * 0.25:.1f} Td (4) Tj ET Q"
    return drawing


def _radio_appearance(size: float, on: bool) -> str:
    """A round option button: light grey disc, black ring, a ZapfDingbats dot when selected."""
    r = size / 2
    drawing = f"0.85 g {_circle(r, r, r - 0.5)} f 0 G 1 w {_circle(r, r, r - 0.5)} S"
    if on:
        drawing += f" BT 0 g /ZaDb {size * 0.6:.1f} Tf {r - size * 0.24:.1f} {r - size * 0.21:.1f} Td (l) Tj ET"
    return drawing


def acrobat_style_form(ticked: set[str], answers: dict[str, str]) -> bytes:
    """A fillable v3 CPI form whose widgets carry Acrobat-style appearances.

    `ticked` holds category labels; `answers` maps a radio group's name (`consent_...`,
    `information_source`) to the printed option selected; other groups are left unanswered.
    """
    out = io.BytesIO()
    c = _form_page(out)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(50, A4[1] - 60, TITLE)
    y = A4[1] - 90

    def heading(text: str) -> None:
        nonlocal y
        c.setFont("Helvetica-Bold", 11)
        c.drawString(50, y, text)
        c.setFont("Helvetica", 9)
        y -= 20

    def radios(name: str, options: list[str], x: float, step: float, vertical: bool) -> None:
        nonlocal y
        for i, option in enumerate(options):
            ox, oy = (x, y - 14 * i) if vertical else (x + step * i, y)
            c.acroForm.radio(name=name, value=f"option{i}", selected=answers.get(name) == option, x=ox, y=oy - 2,
                             size=10, buttonStyle="circle", shape="circle")
            c.drawString(ox + 14, oy, option)

    heading("3. Category of concern (tick all that apply)")
    for label, _ in CATEGORIES:
        c.acroForm.checkbox(name="cat_" + label.lower().replace(" ", "_"), checked=label in ticked, x=50, y=y - 3,
                            size=12, buttonStyle="check")
        c.drawString(70, y, label)
        y -= 18
    heading("4. The information")
    c.drawString(50, y, "How do you know this information?")
    radios("information_source", SOURCE_OPTIONS, 280, 0, vertical=True)
    y -= 14 * len(SOURCE_OPTIONS) + 10
    heading("5. Consent and contact")
    for question, name, options in CONSENT_QUESTIONS:
        c.drawString(50, y, question)
        radios(name, options, 300, 70, vertical=False)
        y -= 22
    heading("6. Difficulties, risks or concerns if police act")
    heading("7. Mitigation")
    c.showPage()
    c.save()
    return _with_appearances(out.getvalue())


def _with_appearances(data: bytes) -> bytes:
    """Every button widget's normal appearances replaced by `_check_appearance` / `_radio_appearance` ones."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    zapf = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/ZapfDingbats")}))
    for page in writer.pages:
        for ref in page.get("/Annots", []):
            widget = ref.get_object()
            states = widget.get("/AP", {}).get("/N")
            if states is None or isinstance(states.get_object(), StreamObject):
                continue
            states = states.get_object()
            rect = [float(v) for v in widget["/Rect"]]
            size = rect[2] - rect[0]
            draw = _radio_appearance if "/Parent" in widget else _check_appearance
            for state in list(states):
                stream = DecodedStreamObject()
                stream.set_data(draw(size, state != "/Off").encode())
                stream.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
                               NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(size),
                                                                 FloatObject(size)]),
                               NameObject("/Resources"): DictionaryObject({NameObject("/Font"): DictionaryObject(
                                   {NameObject("/ZaDb"): zapf})})})
                states[NameObject(state)] = writer._add_object(stream)
            widget["/AP"].pop("/D", None)
    return _write(writer)


def flattened_by_merging(source: bytes) -> bytes:
    """`source` flattened as "Print to PDF" does: each widget's shown appearance drawn into the page as a
    form XObject fitted to its rectangle, the annotations and the form dropped."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(source)))
    for page in writer.pages:
        resources = page["/Resources"].get_object()
        xobjects = resources.setdefault(NameObject("/XObject"), DictionaryObject())
        drawing = [b"q", page.get_contents().get_data(), b"Q"]
        for n, ref in enumerate(page.get("/Annots", [])):
            widget = ref.get_object()
            appearance = widget.get("/AP", {}).get("/N")
            if appearance is None or int(widget.get("/F", 0)) & 2:
                continue
            if not isinstance(appearance.get_object(), StreamObject):
                appearance = appearance.get_object().get(widget.get("/AS", "/Off"))
                if appearance is None:
                    continue
            bbox = [float(v) for v in appearance.get_object()["/BBox"]]
            rect = [float(v) for v in widget["/Rect"]]
            sx, sy = (rect[2] - rect[0]) / (bbox[2] - bbox[0]), (rect[3] - rect[1]) / (bbox[3] - bbox[1])
            name = NameObject(f"/Flat{n}")
            xobjects[name] = appearance if isinstance(appearance, IndirectObject) else writer._add_object(appearance)
            drawing.append(f"q {sx:.4f} 0 0 {sy:.4f} {rect[0] - bbox[0] * sx:.2f} {rect[1] - bbox[1] * sy:.2f} cm "
                           f"{name} Do Q".encode())
        content = DecodedStreamObject()
        content.set_data(b"\n".join(drawing))
        page.replace_contents(content)
        page.pop("/Annots", None)
    writer.root_object.pop("/AcroForm", None)
    return _write(writer)
