"""Version detection: footer, structure and field names combined; versions are data."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from parsers.config import ParserConfig
from parsers.definitions import BUILTIN_FORMS_DIR, load_definitions
from parsers.parse import parse_document

CONFIG = ParserConfig()


def pick(corpus, version: str, format_id: str):
    return next(c for c in corpus if c.version == version and c.format_id == format_id)


def rewrite_docx(data: bytes, parts: str, old: str, new: str) -> bytes:
    """The same DOCX with `old` replaced by `new` in the parts whose names match `parts`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item)
            if re.search(parts, item.filename):
                body = body.replace(old.encode(), new.encode())
            dst.writestr(item, body)
    return out.getvalue()


def test_footer_disagreeing_with_structure_is_a_conflict_and_structure_wins(corpus):
    case = pick(corpus, "v3", "docx_typed")
    data = rewrite_docx(case.path.read_bytes(), r"word/(footer|header)\d*\.xml|docProps/core\.xml",
                        "CPI Form v3.1 – March 2023", "CPI Form v2.0 – June 2020")
    record = parse_document(data, "relabelled.docx", CONFIG)
    assert record["form_version"] == "v3"
    assert record["status"] == "current"
    assert "version_conflict" in record["flags"]


def test_lost_footer_still_recognised_by_structure(corpus):
    case = pick(corpus, "v1", "docx_typed")
    data = rewrite_docx(case.path.read_bytes(), r"word/(footer|header)\d*\.xml|docProps/core\.xml",
                        "CPI Form v1.3 – September 2019", "")
    record = parse_document(data, "no-footer.docx", CONFIG)
    assert record["form_version"] == "v1"
    assert record["status"] == "out_of_date"
    assert "out_of_date_form" in record["flags"]
    assert "version_conflict" not in record["flags"]


def _first_page_only(footer: str | None) -> bytes:
    """Section 1 of a CPI form alone: every version prints it the same way."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    y = 780
    for label, value in [("Community Partnership Information (CPI) Form", ""), ("1. Your details", ""),
                         ("Your name", "Sam Carter"), ("Job title / role", "Youth worker"),
                         ("Organisation", "Northam Youth Project"), ("Email address", "sam@example.org"),
                         ("Telephone number", "023 8000 0000"), ("Date completed", "02/03/2024")]:
        c.drawString(50, y, label)
        c.drawString(250, y, value)
        y -= 24
    if footer:
        c.drawString(50, 30, footer)
    c.save()
    return buf.getvalue()


def test_cpi_like_document_matching_no_version_is_unrecognised():
    record = parse_document(_first_page_only(None), "page1.pdf", CONFIG)
    assert record["status"] == "unrecognised"
    assert record["form_version"] is None
    assert "no known version" in record["reason"]


def test_footer_decides_where_structure_cannot():
    record = parse_document(_first_page_only("CPI Form v2.0 – June 2020"), "page1.pdf", CONFIG)
    assert record["form_version"] == "v2"
    assert record["submitter"]["organisation"] == "Northam Youth Project"


def _v4_definition(folder: Path) -> None:
    text = (BUILTIN_FORMS_DIR / "v3.toml").read_text(encoding="utf-8")
    text = text.replace('version = "v3"', 'version = "v4"').replace("CPI Form v3.1 – March 2023",
                                                                   "CPI Form v4.0 – January 2027")
    text = text.replace("issued = 2023-03-01", "issued = 2027-01-01").replace(r"v\s*3\.1", r"v\s*4\.0")
    text = text.replace('[[categories.boxes]]\ncode = "other"',
                        '[[categories.boxes]]\ncode = "online_harm"\nlabel = "Online Harm"\n'
                        '[[categories.boxes]]\ncode = "other"')
    (folder / "v4.toml").write_text(text, encoding="utf-8")


def test_a_new_version_needs_only_a_definition(tmp_path, corpus):
    from corpus.data import FILLS
    from corpus.docx_forms import write_docx

    _v4_definition(tmp_path)
    config = ParserConfig(current_version="v4", forms_dirs=(tmp_path,))
    v4 = load_definitions(tmp_path)["v4"]
    fill = replace(FILLS[("v3", "docx_typed")], version="v4", categories=("online_harm", "drug_related_harm"))
    form = tmp_path / "v4.docx"
    write_docx(v4, fill, "typed", form)
    record = parse_document(form.read_bytes(), form.name, config)
    assert record["form_version"] == "v4"
    assert record["status"] == "current"
    assert record["categories"] == ["drug_related_harm", "online_harm"]
    old = pick(corpus, "v3", "docx_typed")
    record = parse_document(old.path.read_bytes(), old.path.name, config)
    assert (record["form_version"], record["status"]) == ("v3", "out_of_date")
    assert "out_of_date_form" in record["flags"]
