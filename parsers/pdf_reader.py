"""Read a PDF: decide whether it is a filled form, a text-layer document or a scan, and extract it."""
from __future__ import annotations

import io

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PdfReader

from parsers.config import Limits
from parsers.extraction import Extraction, UnreadableDocument
from parsers.ocr import read_scanned_pages
from parsers.pdf_fields import FormFields, read_form_fields
from parsers.pdf_text import TextLayer, read_text_layer

MIN_CHARS_PER_PAGE = 20  # below this on average a page has no usable text layer: a scan
METADATA_KEYS = ("Title", "Subject", "Keywords")


def read_pdf(data: bytes, limits: Limits) -> Extraction:
    """Words, field values and header/footer text of a PDF.

    Raises `UnreadableDocument` for PDFs that are too large, password-protected, damaged, have
    too many pages, or are scans when Tesseract is not installed.
    """
    if len(data) > limits.max_bytes:
        raise UnreadableDocument(f"PDF is larger than the limit of {limits.max_bytes // (1024 * 1024)} MB")
    pdf = _open(data)
    try:
        pages = len(pdf)
        if pages == 0:
            raise UnreadableDocument("PDF is damaged or incomplete (it has no pages)")
        if pages > limits.max_pages:
            raise UnreadableDocument(
                f"PDF has {pages} pages, more than the limit of {limits.max_pages}: it is not a CPI form")
        form = _form_fields(data, limits) if pdf.get_formtype() != pdfium_c.FORMTYPE_NONE else FormFields()
        layer = read_text_layer(pdf, limits)
        furniture = _metadata(pdf) + layer.furniture
        if form.filled:
            return _extraction("pdf_form", pages, layer, form, furniture)
        if _is_scan(layer, pages):
            scan = read_scanned_pages(pdf, limits)
            if scan.words:
                return Extraction(format="pdf_scanned", pages=pages, words=scan.words, values=form.values,
                                  field_names=form.names, furniture=furniture + scan.furniture, ocr_used=True)
        return _extraction("pdf_text", pages, layer, form, furniture)
    except pdfium.PdfiumError as error:
        raise UnreadableDocument("PDF is damaged or incomplete (a page could not be read)") from error
    finally:
        pdf.close()


def _open(data: bytes) -> pdfium.PdfDocument:
    """The document opened with the empty user password (owner-password-only PDFs open)."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if error.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise UnreadableDocument("PDF is password-protected") from error
        raise UnreadableDocument("PDF is damaged or incomplete (it could not be opened)") from error


def _form_fields(data: bytes, limits: Limits) -> FormFields:
    """AcroForm values; a form pypdf cannot follow counts as having none (the text layer still serves)."""
    try:
        return read_form_fields(PdfReader(io.BytesIO(data)), limits.max_chars)
    except Exception:  # pypdf raises many kinds of errors on malformed input
        return FormFields()


def _metadata(pdf: pdfium.PdfDocument) -> list[str]:
    values = (pdf.get_metadata_value(key).strip() for key in METADATA_KEYS)
    return [value for value in values if value]


def _is_scan(layer: TextLayer, pages: int) -> bool:
    return not layer.truncated and sum(layer.chars_per_page) < MIN_CHARS_PER_PAGE * pages


def _extraction(kind: str, pages: int, layer: TextLayer, form: FormFields, furniture: list[str]) -> Extraction:
    return Extraction(format=kind, pages=pages, words=layer.words, values=form.values,
                      field_names=form.names, furniture=furniture)
