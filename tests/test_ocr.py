"""Check boxes on scanned pages: stacked, printed against their word, filled, ticked by hand; 150-300 dpi, turned."""
from __future__ import annotations

import io
import random
import shutil

import pypdfium2 as pdfium
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from parsers.config import Limits
from parsers.extraction import CHECKED, UNCHECKED, Extraction
from parsers.layout import Layout, mark_state
from parsers.pdf_reader import read_pdf
from tests.pdf_samples import _register_font

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")

SOURCES = ["I saw or heard it myself", "The person told me", "Someone else told me", "From records", "Other"]
TOP = A4[1]


def _sheet() -> bytes:
    """One page of questions whose answers are check boxes drawn in the ways partners' copies show them."""
    _register_font()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setFont("DejaVu", 9)
    c.setLineWidth(0.8)
    y = TOP - 80  # vector boxes stacked one per line, nearly touching; an X in the second
    c.drawString(50, y, "How do you know this information?")
    for i, text in enumerate(SOURCES):
        c.rect(230, y - 12 * i - 1, 9, 9)
        c.drawString(243, y - 12 * i + 0.5, text)
    c.line(231.5, y - 11.5, 237.5, y - 5.5)
    c.line(231.5, y - 5.5, 237.5, y - 11.5)
    y = TOP - 180  # glyph boxes stacked with tight leading; the fourth ticked
    c.drawString(50, y, "Category")
    for i, text in enumerate(SOURCES):
        c.drawString(230, y - 10 * i, ("☒ " if i == 3 else "☐ ") + text)
    c.drawString(50, TOP - 260, "Aware?")  # boxes printed against their word
    c.drawString(230, TOP - 260, "☐Yes ☒No ☐Unknown")
    for y, label in ((TOP - 300, "Contact?"), (TOP - 330, "Referral?"), (TOP - 360, "Solid?")):
        c.setLineWidth(0.8)
        c.drawString(50, y, label)
        c.rect(230, y - 1, 9, 9, fill=label == "Solid?")
        c.drawString(243, y, "Yes")
        c.rect(290, y - 1, 9, 9)
        c.drawString(303, y, "No")
    c.setLineWidth(1.6)  # a hand tick running out of the box
    tick = c.beginPath()
    tick.moveTo(230.5, TOP - 296)
    tick.lineTo(233.5, TOP - 300.5)
    tick.lineTo(241, TOP - 289)
    c.drawPath(tick)
    c.setLineWidth(1.4)  # a hand cross over the box's sides
    c.line(228.5, TOP - 332.5, 240, TOP - 320.5)
    c.line(229, TOP - 321, 241, TOP - 332)
    c.drawString(50, TOP - 390, "Glyph solid?")
    c.drawString(230, TOP - 390, "☐ Yes ■ No")
    c.showPage()
    c.save()
    return out.getvalue()


def _scan(source: bytes, dpi: int, angle: float, seed: int = 7, jpeg: int | None = None) -> bytes:
    """`source` as a scanner sends it: grey, turned by `angle` degrees, noisy, optionally JPEG-compressed."""
    pdf = pdfium.PdfDocument(source)
    try:
        image = pdf[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()
    image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    noise = Image.frombytes("L", image.size, random.Random(seed).randbytes(image.size[0] * image.size[1]))
    image = Image.blend(image, noise, 0.08)
    if jpeg:
        compressed = io.BytesIO()
        image.save(compressed, "JPEG", quality=jpeg)
        image = Image.open(compressed).convert("L")
    out = io.BytesIO()
    image.save(out, "PDF", resolution=dpi)
    return out.getvalue()


def _options(extraction: Extraction) -> list[list[tuple[bool, str]]]:
    """Per line, each box's state and the text after it up to the next box."""
    layout = Layout(extraction.words)
    lines = []
    for line in layout.lines:
        options: list[tuple[bool, str]] = []
        for word in (layout.words[i].text for i in line):
            if word in (CHECKED, UNCHECKED):
                options.append((bool(mark_state(word)), ""))
            elif options:
                options[-1] = (options[-1][0], f"{options[-1][1]} {word}".strip())
        lines.append(options)
    return lines


SCANS = {
    "200 dpi, 1 degree": dict(dpi=200, angle=1.0),
    "150 dpi": dict(dpi=150, angle=-0.7),
    "300 dpi": dict(dpi=300, angle=0.3),
    "2 degrees, JPEG": dict(dpi=200, angle=-2.0, jpeg=40),
}


@pytest.fixture(scope="module", params=list(SCANS))
def scanned(request) -> list[list[tuple[bool, str]]]:
    return _options(read_pdf(_scan(_sheet(), **SCANS[request.param]), Limits()))


def _stacked(lines: list[list[tuple[bool, str]]]) -> list[tuple[bool, str]]:
    """Lines holding one box and an answer to "How do you know" (OCR may drop the lone `I`)."""
    return [line[0] for line in lines
            if len(line) == 1 and any(line[0][1] and source.endswith(line[0][1]) for source in SOURCES)]


def test_stacked_boxes_are_each_found(scanned):
    stacked = _stacked(scanned)
    assert len(stacked) == 2 * len(SOURCES)
    assert [state for state, _ in stacked] == [i == 1 for i in range(5)] + [i == 3 for i in range(5)]
    assert stacked[1][1] == "The person told me" and stacked[8][1] == "From records"


def test_boxes_against_their_words(scanned):
    aware = next(line for line in scanned if len(line) == 3)
    assert [state for state, _ in aware] == [False, True, False]
    assert aware[2][1].endswith("Unknown")


def test_hand_ticks_and_filled_boxes(scanned):
    pairs = [line for line in scanned if len(line) == 2]
    assert [[state for state, _ in line] for line in pairs] == [[True, False]] * 3 + [[False, True]]
    assert [line[1][1] for line in pairs] == ["No"] * 4
