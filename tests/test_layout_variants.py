"""Layouts the corpus does not use (stacked, inline, paragraphs, subject columns...) parse to the expected record."""
from __future__ import annotations

from typing import Any

import pytest

from parsers.config import ParserConfig
from parsers.parse import parse_document
from test_parse_corpus import differences

VARIANTS = [
    ("v1", "pdf_stacked"), ("v3", "pdf_stacked"),
    ("v2", "pdf_inline"), ("v3", "pdf_inline"),
    ("v1", "docx_paragraphs"), ("v3", "docx_paragraphs"),
    ("v2", "docx_subject_columns"), ("v3", "docx_subject_columns"),
    ("v3", "pdf_office_paragraphs"), ("v2", "pdf_office_columns"),
    ("v1", "pdf_upper_narrow"), ("v3", "pdf_upper_narrow"),
    ("v3", "pdf_upper_narrow_split"),
    ("v2", "pdf_form_hierarchical"), ("v3", "pdf_form_hierarchical"),
    ("v1", "pdf_glyph_boxes"), ("v3", "pdf_glyph_boxes"),
]


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from corpus.variants import build_variants

    return {case.name: case for case in build_variants(tmp_path_factory.mktemp("variants"))}


def test_every_variant_is_listed():
    from corpus.variants import VARIANT_FILLS

    assert sorted(VARIANT_FILLS) == sorted(VARIANTS)


@pytest.mark.parametrize(("version", "layout_id"), VARIANTS)
def test_variant_parses_to_expected_record(variants, version, layout_id):
    case = variants.get(f"{version}_{layout_id}")
    if case is None:
        pytest.skip(f"{layout_id} needs LibreOffice, which is not installed here")
    record = parse_document(case.path.read_bytes(), case.path.name, ParserConfig())
    pdf = case.expected["document"]["format"].startswith("pdf")
    assert differences(record, case.expected, pdf=pdf) == [], case.name
