"""Every version in every format parses into the expected record, compared field by field."""
from __future__ import annotations

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


def differences(got: Any, want: Any, path: str = "", *, pdf: bool = False) -> list[str]:
    """Every key path where the parsed record differs from the expected one.

    In a PDF a paragraph that ends exactly at the margin looks like a wrapped line, so for PDFs
    multi-paragraph answers are compared word for word, not break for break.
    """
    if pdf and path in MULTILINE and isinstance(got, str) and isinstance(want, str):
        return [] if got.split() == want.split() else [f"{path}: got {got!r}, expected {want!r}"]
    if isinstance(want, dict) and isinstance(got, dict):
        out: list[str] = []
        for key in sorted(set(want) | set(got)):
            if key not in want:
                continue  # keys the expectation does not pin (e.g. risk_rules on a bland story)
            out += differences(got.get(key, "<absent>"), want[key], f"{path}.{key}" if path else key, pdf=pdf)
        return out
    if isinstance(want, list) and isinstance(got, list) and want and isinstance(want[0], dict):
        if len(got) != len(want):
            return [f"{path}: {len(got)} items, expected {len(want)}"]
        return [d for i, (g, w) in enumerate(zip(got, want)) for d in differences(g, w, f"{path}[{i}]", pdf=pdf)]
    return [] if got == want else [f"{path}: got {got!r}, expected {want!r}"]


@pytest.mark.parametrize("format_id", FORMATS)
@pytest.mark.parametrize("version", VERSIONS)
def test_form_parses_to_expected_record(corpus, version, format_id):
    cases = [c for c in corpus if c.version == version and c.format_id == format_id]
    if not cases:
        pytest.skip(f"{format_id} needs a tool that is not installed here (LibreOffice or Tesseract)")
    for case in cases:
        record = parse_document(case.path.read_bytes(), case.path.name, ParserConfig())
        pdf = case.expected["document"]["format"].startswith("pdf")
        assert differences(record, case.expected, pdf=pdf) == [], case.name
