"""`parse_document`: bytes in, the normalised record out (in-process; `pool` isolates it)."""
from __future__ import annotations

from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from .config import ParserConfig
from .definitions import FormDefinition, load_definitions
from .doc_convert import to_docx
from .docx_reader import read_docx
from .extraction import Extraction, UnreadableDocument
from .labelled import LabelledReader, find_anchors
from .layout import Layout
from .pdf_reader import read_pdf
from .pool import ParserPool
from .record import build_record, document_info, empty_record, failure_record
from .sniff import sniff
from .version import detect, is_furniture

NOT_CPI_REASON = "this document is not a CPI form"
# Imported once in the forking parent so each worker starts warm.
PRELOAD = ("parsers.parse", "parsers.ocr", "pypdf", "pypdfium2", "lxml.etree", "phonenumbers", "dateutil.parser")
UNRECOGNISED_REASON = "this looks like a CPI form but matches no known version of it"


@lru_cache(maxsize=8)
def definitions_for(forms_dirs: tuple[Path, ...]) -> dict[str, FormDefinition]:
    return load_definitions(*forms_dirs)


def read(data: bytes, config: ParserConfig) -> Extraction:
    """Sniff the bytes and run the matching reader; raises `UnreadableDocument`."""
    limits = config.limits
    if len(data) > limits.max_bytes:
        raise UnreadableDocument(f"the file is larger than the {limits.max_bytes // (1024 * 1024)} MB limit")
    kind = sniff(data)
    if kind == "pdf":
        return read_pdf(data, limits)
    if kind == "docx":
        return read_docx(data, limits)
    if kind in ("doc", "rtf", "odt"):
        # The spec's record formats have no RTF or ODT: every converted word-processor file is "doc".
        extraction = read_docx(to_docx(data, kind, limits), limits)
        extraction.format = "doc"
        return extraction
    reasons = {
        "empty": "the file is empty",
        "encrypted_office": "password-protected Word document",
        "zip": "a zip archive that is not a Word document",
    }
    raise UnreadableDocument(reasons.get(kind, "not a PDF or Word document"))


def parse_document(data: bytes, filename: str, config: ParserConfig) -> dict[str, Any]:
    """The record for one document; never raises for bad input (status `unreadable` instead)."""
    try:
        extraction = read(data, config)
    except UnreadableDocument as exc:
        return empty_record(document_info(data, filename, None, None), "unreadable", str(exc))
    return record_from(extraction, data, filename, config)


def record_from(extraction: Extraction, data: bytes, filename: str, config: ParserConfig) -> dict[str, Any]:
    """Version detection, label-anchored reading and normalisation of one reader's findings."""
    definitions = definitions_for(tuple(config.forms_dirs))
    document = document_info(data, filename, extraction.format, extraction.pages)
    if not extraction.words and not extraction.values:
        return empty_record(document, "unreadable", "no text could be read from the document")
    full = Layout(extraction.words)
    furniture = [full.line_text(li) for li in range(len(full.lines)) if is_furniture(full.line_text(li))]
    layout = full.without_lines(is_furniture) if furniture else full
    anchors = find_anchors(layout, list(definitions.values()), fuzzy=extraction.ocr_used)
    verdict = detect(anchors, extraction.field_names, extraction.furniture + furniture, definitions)
    if not verdict.looks_like_cpi:
        return empty_record(document, "not_cpi", NOT_CPI_REASON)
    if verdict.version is None:
        record = empty_record(document, "unrecognised", UNRECOGNISED_REASON)
        record["flags"] = ["ocr_used"] if extraction.ocr_used else []
        return record
    definition = definitions[verdict.version]
    current = definitions.get(config.current_version)
    paragraph_lines = extraction.format in ("docx", "doc")
    findings = LabelledReader(layout, anchors, definition, paragraph_lines).read()
    # A field or tagged control that exists is authoritative, even when empty.
    values = {**findings.values, **{n: v for n, v in extraction.values.items() if n in extraction.field_names}}
    for name, value in extraction.values.items():
        values.setdefault(name, value)
    unreadable = (findings.unreadable | extraction.unreadable) - extraction.field_names
    flags: set[str] = set()
    out_of_date = current is not None and definition.version != current.version and definition.issued < current.issued
    status = "out_of_date" if out_of_date else "current"
    if out_of_date:
        flags.add("out_of_date_form")
    if verdict.conflict:
        flags.add("version_conflict")
    if extraction.ocr_used:
        flags.add("ocr_used")
    return build_record(document, definition, status, values, unreadable, flags)


def open_pool(config: ParserConfig) -> ParserPool:
    """Isolated workers running `parse_document` with the configured limits."""
    return ParserPool(
        partial(parse_document, config=config),
        failure_record,
        workers=config.workers,
        cpu_seconds=config.cpu_seconds,
        memory_mb=config.memory_mb,
        wall_seconds=config.wall_seconds,
        preload=PRELOAD,
    )
