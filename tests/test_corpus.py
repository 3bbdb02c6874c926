"""The test corpus generator: files are produced and hold the values their expected records promise."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import docx
import olefile
import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from parsers.definitions import load_definitions
from tests.corpus.generate import FORMATS, VERSIONS, Case, build_corpus

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
PYTHON_ONLY = [f for f in FORMATS if f not in ("doc", "pdf_word_export", "pdf_scanned")]
HAS_TESSERACT = shutil.which("tesseract") is not None
DEFINITIONS = load_definitions()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    formats = PYTHON_ONLY + (["pdf_scanned"] if HAS_TESSERACT else [])
    cases = build_corpus(tmp_path_factory.mktemp("corpus"), formats=formats)
    return {c.name: c for c in cases}


def _sdt_values(path: Path) -> dict[str, str]:
    body = docx.Document(str(path)).element.body
    values = {}
    for sdt in body.iter(f"{W}sdt"):
        tag = sdt.find(f"{W}sdtPr/{W}tag")
        if tag is not None:
            values[tag.get(f"{W}val")] = "".join(t.text for t in sdt.iter(f"{W}t"))
    return values


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


def test_every_case_written_with_its_expected_record(corpus: dict[str, Case]) -> None:
    formats = PYTHON_ONLY + (["pdf_scanned"] if HAS_TESSERACT else [])
    assert sorted(corpus) == sorted(f"{v}_{f}" for v in VERSIONS for f in formats)
    for case in corpus.values():
        data = case.path.read_bytes()
        assert case.expected["document"]["sha256"] == hashlib.sha256(data).hexdigest()
        assert case.expected["document"]["filename"] == case.path.name
        stored = json.loads(case.path.with_name(f"{case.name}.expected.json").read_text(encoding="utf-8"))
        assert stored == case.expected


def test_expected_records_follow_the_spec(corpus: dict[str, Case]) -> None:
    for case in corpus.values():
        e = case.expected
        assert e["status"] == ("current" if case.version == "v3" else "out_of_date")
        assert ("out_of_date_form" in e["flags"]) == (case.version != "v3")
        assert ("incomplete" in e["flags"]) == bool(e["missing"])
        assert (e["handling"] is None) == (case.version != "v3")
        assert e["flags"] == sorted(e["flags"]) and e["missing"] == sorted(e["missing"])
        assert "" not in _leaves(e)  # empty answers are null, never ""
    for version in VERSIONS:
        incomplete = [c for c in corpus.values() if c.version == version and c.expected["missing"]]
        assert len(incomplete) >= 2
    typed = corpus["v1_docx_typed"].expected
    assert typed["missing"] == ["categories", "submitter.email"]
    assert typed["submitter"]["phone"] == "023 9268 0000"
    assert typed["submitter"]["phone_normalised"] == "+442392680000"
    assert "submitter.phone" not in typed["raw"]  # whitespace tidying alone is not kept in raw
    assert typed["raw"]["submitter.date_completed"] == "12 Jan 2024"
    assert typed["submitter"]["date_completed"] == "2024-01-12"


def test_template_docx_holds_values_in_tagged_controls(corpus: dict[str, Case]) -> None:
    case = corpus["v3_docx_template"]
    values = _sdt_values(case.path)
    assert set(values) == set(DEFINITIONS["v3"].field_names)
    e = case.expected
    assert values["submitter_name"] == e["submitter"]["name"] == "José Martínez"
    assert values["subjects_1_postcode"] == "Click or tap here to enter text."  # placeholder, empty
    assert e["subjects"][1]["postcode"] is None
    assert values["information_source"] == "The person told me"
    ticked = {
        sdt.find(f"{W}sdtPr/{W}tag").get(f"{W}val")[4:]
        for sdt in docx.Document(str(case.path)).element.body.iter(f"{W}sdt")
        if sdt.find(f"{W}sdtPr/{W14}checkbox/{W14}checked[@{W14}val='1']") is not None
    }
    assert ticked == set(e["categories"]) == {"child_sexual_or_criminal_exploitation", "drug_related_harm", "other"}
    assert docx.Document(str(case.path)).core_properties.title == "CPI Form v3.1 – March 2023"


def test_legacy_docx_has_form_fields(corpus: dict[str, Case]) -> None:
    body = docx.Document(str(corpus["v1_docx_legacy"].path)).element.body
    instructions = [t.text.strip() for t in body.iter(f"{W}instrText")]
    assert instructions.count("FORMCHECKBOX") == len(DEFINITIONS["v1"].categories)
    assert instructions.count("FORMTEXT") >= 20


def test_tracked_docx_deletes_and_inserts(corpus: dict[str, Case]) -> None:
    case = corpus["v2_docx_tracked"]
    body = docx.Document(str(case.path)).element.body
    deleted = [t.text for t in body.iter(f"{W}delText")]
    inserted = ["".join(t.text for t in ins.iter(f"{W}t")) for ins in body.iter(f"{W}ins")]
    assert "Smyth" in deleted and "Smith-Jones" in inserted
    assert case.expected["subjects"][0]["surname"] == "Smith-Jones"
    assert not any("Mum thinks" in line for line in case.expected["information"]["text"].split("\n"))


def test_footer_missing_case_has_no_version_string(corpus: dict[str, Case]) -> None:
    document = docx.Document(str(corpus["v2_docx_typed"].path))
    assert document.core_properties.title == ""
    assert all("CPI Form" not in p.text for s in document.sections for p in s.footer.paragraphs)
    assert corpus["v2_docx_typed"].expected["version_label"] == "CPI Form v2.0 – June 2020"


def test_fillable_pdf_fields_hold_the_values(corpus: dict[str, Case]) -> None:
    for version in VERSIONS:
        case = corpus[f"{version}_pdf_form"]
        fields = PdfReader(case.path).get_fields()
        assert set(DEFINITIONS[version].field_names) <= set(fields)
        e = case.expected
        assert fields["submitter_name"]["/V"] == e["submitter"]["name"]
        ticked = {n[4:] for n, f in fields.items() if n.startswith("cat_") and f.get("/V") not in (None, "/Off")}
        assert ticked == set(e["categories"])
        aware = fields["consent_subject_aware"].get("/V")
        assert (aware[1:] if aware else None) == e["consent"]["subject_aware"]
        assert fields["information_source"]["/V"] == f"/{e['information']['source']}"
    on_names = {f["/V"] for v in VERSIONS for n, f in PdfReader(corpus[f"{v}_pdf_form"].path).get_fields().items()
                if n.startswith("cat_") and f.get("/V") not in (None, "/Off")}
    assert on_names == {"/Yes", "/On", "/1"}


@pytest.mark.skipif(not HAS_TESSERACT, reason="Tesseract not installed: scanned cases are not built")
def test_scanned_pdf_has_no_text_layer(corpus: dict[str, Case]) -> None:
    for version in VERSIONS:
        case = corpus[f"{version}_pdf_scanned"]
        pdf = pdfium.PdfDocument(str(case.path))
        try:
            assert len(pdf) == case.expected["document"]["pages"] >= 1
            assert all(page.get_textpage().get_text_range().strip() == "" for page in pdf)
        finally:
            pdf.close()
        assert "ocr_used" in case.expected["flags"]
        assert case.needs == ("tesseract",)


def test_text_pdf_has_labels_and_values_as_text(corpus: dict[str, Case]) -> None:
    case = corpus["v1_pdf_text"]
    pdf = pdfium.PdfDocument(str(case.path))
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()
    assert "Date of birth" in text and "1 Dec 2012" in text
    assert case.expected["subjects"][0]["date_of_birth"] == "2012-12-01"
    assert "CPI Form v1.3 – September 2019" in text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_office_conversions(tmp_path: Path) -> None:
    cases = {c.format_id: c for c in build_corpus(tmp_path, formats=["doc", "pdf_word_export"], versions=["v3"])}
    assert olefile.isOleFile(str(cases["doc"].path))
    assert cases["doc"].expected["document"]["format"] == "doc"
    export = cases["pdf_word_export"]
    assert export.expected["document"]["format"] == "pdf_text"
    pdf = pdfium.PdfDocument(str(export.path))
    try:
        assert len(pdf) == export.expected["document"]["pages"]
        assert "Arjun" in pdf[0].get_textpage().get_text_range()
    finally:
        pdf.close()


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown format"):
        build_corpus(tmp_path, formats=["docx_magic"])
