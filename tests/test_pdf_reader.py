"""The PDF reader on fillable, text-layer and scanned CPI forms built in the tests."""
from __future__ import annotations

import io
import shutil

import pypdfium2 as pdfium
import pytest
import pytesseract
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from parsers.config import Limits
from parsers.extraction import CHECKED, UNCHECKED, Extraction, UnreadableDocument
from parsers.ocr import skew_angle
from parsers.pdf_reader import read_pdf
from parsers.pdf_text import group_lines
from tests.pdf_samples import (FOOTER, HEADER, blank_pages_pdf, cpi_fillable_pdf, cpi_text_pdf, encrypted_pdf,
                               scanned_pdf)

PAGE_HEIGHT = A4[1]


def line_with(extraction: Extraction, phrase: str) -> list[str]:
    """The words of the first line whose text contains `phrase`."""
    for line in group_lines(extraction.words):
        texts = [w.text for w in line]
        if phrase in " ".join(texts):
            return texts
    raise AssertionError(f"no line contains {phrase!r}")


def word_after(extraction: Extraction, label: str) -> str:
    texts = line_with(extraction, label)
    return texts[texts.index(label) + 1]


def marks(extraction: Extraction, labels: list[str]) -> dict[str, str]:
    """The check-box mark on the line of each label (the last word of the line)."""
    found = {}
    for label in labels:
        texts = line_with(extraction, label)
        assert texts[-1] in (CHECKED, UNCHECKED), texts
        found[label] = texts[-1]
    return found


CATEGORY_LABELS = ["Missing, Exploited, Trafficked", "Child Sexual or Criminal Exploitation", "Drug Related Harm",
                   "Modern Day Slavery", "Organised Crime", "Other (please specify)"]
EXPECTED_MARKS = {label: CHECKED if label in ("Child Sexual or Criminal Exploitation", "Drug Related Harm")
                  else UNCHECKED for label in CATEGORY_LABELS}


# --- fillable forms ------------------------------------------------------------------------

def test_fillable_form_values_by_field_name():
    result = read_pdf(cpi_fillable_pdf(), Limits())
    assert result.format == "pdf_form"
    assert result.pages == 1
    assert result.values["submitter_name"] == "Priya Shah"
    assert result.values["subjects_0_surname"] == "O'Neill"
    assert result.values["subjects_0_postcode"] is None
    # on-names Yes, On and 1 are all ticked; Off is not
    assert result.values["cat_drug_related_harm"] is True
    assert result.values["cat_child_sexual_or_criminal_exploitation"] is True
    assert result.values["cat_modern_day_slavery"] is True
    assert result.values["cat_organised_crime"] is False
    # radio groups give the export value of the chosen button
    assert result.values["consent_subject_aware"] == "no"
    assert result.values["information_source"] == "first_hand"
    assert {"submitter_name", "cat_organised_crime", "consent_subject_aware"} <= result.field_names


def test_fillable_form_keeps_page_words_and_version_text():
    result = read_pdf(cpi_fillable_pdf(), Limits())
    assert "Drug Related Harm" in " ".join(line_with(result, "Drug Related"))
    assert FOOTER in result.furniture  # the footer line
    assert result.furniture.count(FOOTER) == 2  # and the document title


def test_empty_fillable_form_is_read_as_text_with_its_field_names():
    result = read_pdf(cpi_fillable_pdf(filled=False), Limits())
    assert result.format == "pdf_text"
    assert "subjects_0_surname" in result.field_names
    assert result.values["subjects_0_surname"] is None
    assert result.values["cat_drug_related_harm"] is False
    assert result.values["consent_subject_aware"] is None


# --- text-layer PDFs -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def glyph_form() -> Extraction:
    return read_pdf(cpi_text_pdf("glyph"), Limits())


def test_text_layer_words_in_reading_order(glyph_form):
    assert glyph_form.format == "pdf_text"
    assert glyph_form.pages == 3
    assert not glyph_form.ocr_used
    assert word_after(glyph_form, "Surname") == "O'Neill"
    assert line_with(glyph_form, "Postcode")[-2:] == ["SO17", "2FW"]
    assert line_with(glyph_form, "Email address")[-1] == "p.shah@northam.sch.uk"


def test_later_pages_continue_below_earlier_ones(glyph_form):
    mitigation = next(w for w in glyph_form.words if w.text == "Mitigation")
    assert 2 * PAGE_HEIGHT < mitigation.top < 3 * PAGE_HEIGHT
    surname = next(w for w in glyph_form.words if w.text == "Surname")
    assert 0 < surname.top < PAGE_HEIGHT


def test_headers_footers_and_title_are_furniture(glyph_form):
    assert glyph_form.furniture[0] == FOOTER  # PDF /Title
    assert glyph_form.furniture.count(HEADER) == 3
    assert f"{FOOTER} Page 3" in glyph_form.furniture
    assert "Surname" not in " ".join(glyph_form.furniture)


@pytest.mark.parametrize("style", ["glyph", "zapf", "vector"])
def test_check_boxes_become_marks_on_their_label_line(style):
    result = read_pdf(cpi_text_pdf(style), Limits())
    assert marks(result, CATEGORY_LABELS) == EXPECTED_MARKS
    # one mark per category box; the table cell borders around them are not boxes
    assert sum(w.text in (CHECKED, UNCHECKED) for w in result.words) == 9


def test_label_and_value_with_a_wide_gap_are_separate_words():
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    text = c.beginText(40, 700)
    text.setFont("Helvetica", 10)
    text.textOut("Postcode")
    text.moveCursor(150, 0)
    text.textOut("SO17 2FW")
    c.drawText(text)
    c.drawString(40, 680, "Padding text so that the page counts as having a text layer.")
    c.save()
    result = read_pdf(out.getvalue(), Limits())
    assert line_with(result, "Postcode") == ["Postcode", "SO17", "2FW"]


def test_text_stops_at_the_character_limit():
    result = read_pdf(cpi_text_pdf("glyph"), Limits(max_chars=300))
    assert 250 < sum(len(w.text) for w in result.words) <= 300
    assert result.format == "pdf_text"


# --- scanned PDFs -----------------------------------------------------------------------------

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")


@pytest.fixture(scope="module")
def scanned_form() -> Extraction:
    return read_pdf(scanned_pdf(cpi_text_pdf("glyph"), dpi=200, angle=1.0), Limits())


@needs_tesseract
def test_scanned_form_is_read_by_ocr(scanned_form):
    assert scanned_form.format == "pdf_scanned"
    assert scanned_form.ocr_used
    assert scanned_form.pages == 3
    assert word_after(scanned_form, "Surname") == "O'Neill"
    assert "18/11/2026" in line_with(scanned_form, "Date the information was obtained")
    assert any("CPI Form v3.1" in line for line in scanned_form.furniture)


@needs_tesseract
def test_scanned_check_boxes_are_found_in_the_image(scanned_form):
    assert marks(scanned_form, CATEGORY_LABELS) == EXPECTED_MARKS


def test_skew_of_a_turned_page_is_measured():
    pdf = pdfium.PdfDocument(cpi_text_pdf("glyph"))
    try:
        page = pdf[1]
        image = page.render(scale=100 / 72, grayscale=True).to_pil().convert("L")
        page.close()
    finally:
        pdf.close()
    turned = image.rotate(1.5, resample=Image.Resampling.BICUBIC, fillcolor=255)
    assert skew_angle(turned) == pytest.approx(-1.5, abs=0.25)
    assert skew_angle(image) == pytest.approx(0, abs=0.25)


def test_scan_without_tesseract_is_unreadable(monkeypatch):
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "tesseract-not-installed")
    with pytest.raises(UnreadableDocument, match="needs Tesseract OCR"):
        read_pdf(scanned_pdf(cpi_fillable_pdf(filled=False), dpi=100), Limits())


# --- hostile and broken PDFs --------------------------------------------------------------------

def test_password_protected_pdf_is_unreadable():
    with pytest.raises(UnreadableDocument, match="password-protected"):
        read_pdf(encrypted_pdf(cpi_fillable_pdf(), user_password="secret"), Limits())


def test_owner_password_only_pdf_is_read():
    result = read_pdf(encrypted_pdf(cpi_fillable_pdf(), user_password=""), Limits())
    assert result.format == "pdf_form"
    assert result.values["subjects_0_surname"] == "O'Neill"


def test_too_many_pages_is_refused():
    with pytest.raises(UnreadableDocument, match="51 pages"):
        read_pdf(blank_pages_pdf(51), Limits(max_pages=50))


def test_too_large_is_refused():
    with pytest.raises(UnreadableDocument, match="larger than"):
        read_pdf(cpi_fillable_pdf(), Limits(max_bytes=1000))


@pytest.mark.parametrize("data", [cpi_fillable_pdf()[:4000], b"%PDF-1.4\n garbage", b"not a pdf at all"])
def test_damaged_pdf_is_unreadable(data):
    with pytest.raises(UnreadableDocument, match="damaged or incomplete"):
        read_pdf(data, Limits())
