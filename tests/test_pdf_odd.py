"""PDFs as real producers send them, made from corpus forms in the test, parsed to the expected record."""
from __future__ import annotations

import copy
import hashlib
import shutil
from collections.abc import Callable
from typing import Any

import pytest

from parsers.config import ParserConfig
from parsers.parse import parse_document
from tests import pdf_samples as samples
from tests.test_parse_corpus import differences

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Any]:
    """Corpus cases by (version, format id)."""
    from corpus.generate import build_corpus

    cases = build_corpus(tmp_path_factory.mktemp("odd"), formats=["pdf_form", "pdf_text", "pdf_scanned"],
                         versions=["v1", "v2", "v3"])
    return {(case.version, case.format_id): case for case in cases}


def check(case: Any, transform: Callable[[bytes], bytes], fmt: str, *, extra_pages: int = 0,
          ocr: bool = False) -> None:
    """Parse `transform` of the case's file and compare with its expected record, adjusted for the new file."""
    data = transform(case.path.read_bytes())
    expected = copy.deepcopy(case.expected)
    expected["document"].update(filename="odd.pdf", sha256=hashlib.sha256(data).hexdigest(), format=fmt,
                                pages=expected["document"]["pages"] + extra_pages)
    if ocr:
        expected["flags"] = sorted(set(expected["flags"]) | {"ocr_used"})
    record = parse_document(data, "odd.pdf", ParserConfig())
    assert differences(record, expected, pdf=True, ocr=ocr) == []


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_rotated_pages_read_in_reading_orientation(forms, version, degrees):
    check(forms[(version, "pdf_text")], lambda data: samples.rotated_pdf(data, degrees), "pdf_text")


@needs_tesseract
@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_sideways_scan_is_read_upright(forms, degrees):
    check(forms[("v2", "pdf_text")], lambda data: samples.sideways_scan(data, degrees), "pdf_scanned", ocr=True)


@needs_tesseract
def test_garbled_text_layer_falls_back_to_ocr(forms):
    check(forms[("v2", "pdf_text")], samples.garbled_text_layer, "pdf_scanned", ocr=True)


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_scan_with_an_invisible_ocr_layer_takes_boxes_from_the_image(forms, version):
    check(forms[(version, "pdf_text")], samples.ocr_layered_scan, "pdf_scanned", ocr=True)


@pytest.mark.parametrize("keep_values", [True, False], ids=["values", "appearances_only"])
def test_fillable_form_saved_by_a_viewer(forms, keep_values):
    check(forms[("v3", "pdf_form")], lambda data: samples.saved_by_viewer(data, keep_values), "pdf_form")


def test_fillable_form_printed_to_pdf_is_read_from_its_text(forms):
    check(forms[("v3", "pdf_form")], samples.printed_to_pdf, "pdf_text")


@pytest.mark.parametrize("ticked, answers, categories, consent, source", [
    ({"Drug Related Harm", "Organised Crime", "Other (please specify)"},
     {"consent_subject_aware": "Don't know", "consent_may_contact_submitter": "No",
      "information_source": "Someone else told me"},
     ["drug_related_harm", "organised_crime", "other"],
     {"subject_aware": "unknown", "mash_referral_made": None, "may_contact_submitter": False}, "told_by_third_party"),
    ({"Missing, Exploited, Trafficked"},
     {"consent_subject_aware": "Yes", "consent_mash_referral_made": "No", "consent_may_contact_submitter": "Yes"},
     ["missing_exploited_trafficked"],
     {"subject_aware": "yes", "mash_referral_made": False, "may_contact_submitter": True}, None),
], ids=["some_answered", "source_unanswered"])
def test_form_flattened_by_merging_its_widget_appearances(ticked, answers, categories, consent, source):
    """Bevelled boxes with ZapfDingbats checks and round buttons with a dot, drawn into the page as XObjects."""
    data = samples.flattened_by_merging(samples.acrobat_style_form(ticked, answers))
    record = parse_document(data, "flat.pdf", ParserConfig())
    assert record["document"]["format"] == "pdf_text"
    assert record["categories"] == categories
    assert record["consent"] == consent
    assert record["information"]["source"] == source


@needs_tesseract
def test_phone_photo_is_read(forms):
    check(forms[("v2", "pdf_text")], samples.phone_photo, "pdf_scanned", ocr=True)


@pytest.mark.parametrize("version", ["v1", "v2", "v3"])
def test_form_after_a_cover_letter_and_a_blank_page(forms, version):
    check(forms[(version, "pdf_text")], samples.with_leading_pages, "pdf_text", extra_pages=2)


@needs_tesseract
def test_scanned_form_after_a_typed_cover_letter_and_a_blank_page(forms):
    check(forms[("v3", "pdf_scanned")], samples.with_leading_pages, "pdf_scanned", extra_pages=2, ocr=True)
