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


def _docx_table(rows: list[tuple[list[str], str]]) -> bytes:
    """A CPI-like DOCX: the title, then a label-cell / answer-cell table; label cells may hold notes."""
    import docx

    document = docx.Document()
    document.add_paragraph("Community Partnership Information (CPI) Form")
    document.sections[0].footer.paragraphs[0].text = "CPI Form v2.0 – June 2020"
    table = document.add_table(rows=0, cols=2)
    for label_paragraphs, answer in rows:
        cells = table.add_row().cells
        cells[0].text = label_paragraphs[0]
        for extra in label_paragraphs[1:]:
            cells[0].add_paragraph(extra)
        cells[1].text = answer
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_notes_printed_in_a_label_cell_are_not_the_answer():
    rows = [([label], value) for label, value in SECTION_1]
    rows += [(["Subject 1"], ""), (["Surname"], "O'Neill"), (["Forename(s)"], "Aoife"),
             (["Date of birth (dd/mm/yyyy)", "if known"], "01/02/2009"),
             (["Postcode", "(the home address)"], "so14 7du")]
    record = parse_document(_docx_table(rows), "notes.docx", ParserConfig())
    subject = record["subjects"][0]
    assert subject["date_of_birth"] == "2009-02-01"
    assert subject["postcode"] == "SO14 7DU"
    assert "subjects[0].date_of_birth" not in record["unreadable_fields"]


def test_a_bracketed_note_after_a_stacked_label_is_not_the_answer():
    form = [("Community Partnership Information (CPI) Form", ""), *SECTION_1[:-1],
            ("Date completed (dd/mm/yyyy)", ""), ("02/03/2024", "")]
    record = parse_document(_pdf([form]), "stacked.pdf", ParserConfig())
    assert record["submitter"]["date_completed"] == "2024-03-02"


def _docx_rows(rows: list[list[str]]) -> bytes:
    """A CPI-like DOCX whose table rows hold the given cells."""
    import docx

    document = docx.Document()
    document.add_paragraph("Community Partnership Information (CPI) Form")
    document.sections[0].footer.paragraphs[0].text = "CPI Form v2.0 – June 2020"
    table = document.add_table(rows=0, cols=max(len(r) for r in rows))
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = text
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_ticks_typed_in_a_column_before_the_categories():
    rows = [[label, value] for label, value in SECTION_1]
    rows += [["3. Category of concern (tick all that apply)"], ["", "Missing, Exploited, Trafficked"],
             ["X", "Child Sexual or Criminal Exploitation"], ["", "Drug Related Harm"],
             ["✓", "Modern Day Slavery"], ["", "Community Cohesion"], ["√", "Organised Crime"]]
    record = parse_document(_docx_rows(rows), "ticks-left.docx", ParserConfig())
    assert record["categories"] == ["child_sexual_or_criminal_exploitation", "modern_day_slavery", "organised_crime"]


def test_two_categories_a_line_with_boxes_after_their_labels():
    rows = [[label, value] for label, value in SECTION_1]
    rows += [["Drug Related Harm", "☐", "Modern Day Slavery", "☒"],
             ["Community Cohesion", "☒", "Organised Crime", "☐"]]
    record = parse_document(_docx_rows(rows), "pairs.docx", ParserConfig())
    assert record["categories"] == ["modern_day_slavery", "community_cohesion"]


def test_yes_no_answers_ticked_with_a_typed_x_beside_the_option():
    rows = [[label, value] for label, value in SECTION_1]
    rows += [["Is the person aware this information is being shared?", "Yes", "", "No", "", "Don't know", "X"],
             ["Has a MASH referral been made?", "X", "Yes", "", "No"],
             ["May police contact you about this information?", "Yes", "✓", "No", ""]]
    record = parse_document(_docx_rows(rows), "typed-ticks.docx", ParserConfig())
    assert record["consent"] == {"subject_aware": "unknown", "mash_referral_made": True,
                                 "may_contact_submitter": True}
