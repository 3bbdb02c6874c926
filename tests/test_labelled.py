"""Label-anchored reading on layouts the corpus does not have."""
from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from parsers.config import ParserConfig
from parsers.parse import parse_document

SECTION_1 = [("Your name", "Sam Carter"), ("Job title / role", "Youth worker"),
             ("Organisation", "Northam Youth Project"), ("Email address", "sam@example.org"),
             ("Telephone number", "023 8000 0000"), ("Date completed", "02/03/2024")]


def _pdf(pages: list[list[tuple[str, str]]]) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for page in pages:
        y = 780
        for label, value in page:
            c.drawString(50, y, label)
            c.drawString(250, y, value)
            y -= 24
        c.drawString(50, 30, "CPI Form v2.0 – June 2020")
        c.showPage()
    c.save()
    return buf.getvalue()


def test_a_covering_letter_quoting_a_label_does_not_take_its_answer():
    letter = [("Dear colleague,", ""), ("Please find our form attached.", ""),
              ("Your name was given to us by the duty desk.", ""), ("Kind regards, the school office", "")]
    form = [("Community Partnership Information (CPI) Form", ""), ("1. Your details", ""), *SECTION_1]
    record = parse_document(_pdf([letter, form]), "letter-and-form.pdf", ParserConfig())
    assert record["form_version"] == "v2"
    assert record["submitter"]["name"] == "Sam Carter"
    assert record["submitter"]["organisation"] == "Northam Youth Project"
