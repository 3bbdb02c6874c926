"""Every version in every format parses into the expected record, compared field by field."""
from __future__ import annotations

import difflib
from typing import Any

import pytest

from parsers.config import ParserConfig
from parsers.parse import parse_document

VERSIONS = ("v1", "v2", "v3")
FORMATS = ("docx_template", "docx_typed", "docx_legacy", "docx_tracked", "doc", "pdf_form", "pdf_text",
           "pdf_word_export", "pdf_scanned")


# Text answers that may hold several paragraphs.
MULTILINE = {"information.text", "information.associated_details", "handling.risks_if_police_act",
             "handling.mitigation"}


# Answers whose value is a code or a normalised form: exact even after OCR.
CODED = ("status", "form_version", "categories", "missing", "date", "gender", "consent.", "information.source")


def _ocr_close(got: str, want: str) -> bool:
    """Free text read by OCR: at most a letter or two in twenty misread (l/I, 0/O...)."""
    return difflib.SequenceMatcher(None, got.lower().split(), want.lower().split()).ratio() >= 0.8 or \
        difflib.SequenceMatcher(None, got.lower(), want.lower()).ratio() >= 0.9


def differences(got: Any, want: Any, path: str = "", *, pdf: bool = False, ocr: bool = False) -> list[str]:
    """Every key path where the parsed record differs from the expected one.

    In a PDF a paragraph that ends exactly at the margin looks like a wrapped line, so for PDFs
    multi-paragraph answers are compared word for word, not break for break. On a scan, free
    text may have a misread letter; codes, dates, ticks and the status must still be exact.
    """
    if isinstance(got, str) and isinstance(want, str):
        if pdf and path in MULTILINE and got.split() == want.split():
            return []
        if ocr and not any(c in path for c in CODED) and _ocr_close(got, want):
            return []
    if ocr and path == "flags" and isinstance(got, list):
        got = [f for f in got if f != "unreadable_fields"]
    if isinstance(want, dict) and isinstance(got, dict):
        out: list[str] = []
        for key in sorted(set(want) | set(got)):
            if key not in want:
                continue  # keys the expectation does not pin (e.g. risk_rules on a bland story)
            if ocr and path == "raw":
                continue  # what OCR read is what it read
            out += differences(got.get(key, "<absent>"), want[key], f"{path}.{key}" if path else key, pdf=pdf,
                               ocr=ocr)
        return out
    if isinstance(want, list) and isinstance(got, list) and want and isinstance(want[0], dict):
        if len(got) != len(want):
            return [f"{path}: {len(got)} items, expected {len(want)}"]
        return [d for i, (g, w) in enumerate(zip(got, want))
                for d in differences(g, w, f"{path}[{i}]", pdf=pdf, ocr=ocr)]
    return [] if got == want else [f"{path}: got {got!r}, expected {want!r}"]


@pytest.mark.parametrize("format_id", FORMATS)
@pytest.mark.parametrize("version", VERSIONS)
def test_form_parses_to_expected_record(corpus, version, format_id):
    cases = [c for c in corpus if c.version == version and c.format_id == format_id]
    if not cases:
        pytest.skip(f"{format_id} needs a tool that is not installed here (LibreOffice or Tesseract)")
    for case in cases:
        record = parse_document(case.path.read_bytes(), case.path.name, ParserConfig())
        fmt = case.expected["document"]["format"]
        assert differences(record, case.expected, pdf=fmt.startswith("pdf"), ocr=fmt == "pdf_scanned") == [], case.name
