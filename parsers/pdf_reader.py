"""Read a PDF: decide whether it is a filled form, a text-layer document or a scan, and extract it.

Each page is read the cheapest way that gives its text: the text layer; the text layer of an
invisible OCR layer over a scan, with check boxes taken from the image; or OCR of the page image
when the page has no text layer or a garbled one (fonts without a Unicode mapping).
"""
from __future__ import annotations

import io
from dataclasses import replace

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PdfReader

from parsers.config import Limits
from parsers.extraction import Extraction, UnreadableDocument, Word
from parsers.ocr import marks_under_text, read_scanned_page, require_tesseract, take_words
from parsers.pdf_fields import FormFields, read_form_fields
from parsers.pdf_text import PageText, furniture_lines, read_text_layer

MIN_CHARS_PER_PAGE = 20  # below this a page with an image has no usable text layer: a scan
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
        kind = "pdf_form" if form.filled else "pdf_text"
        ocr_used = False
        if not form.filled and not layer.truncated:
            for index, text in enumerate(layer.pages):
                if _needs_ocr(text):
                    layer.pages[index] = _ocr_page(pdf, index, limits)
                elif text.invisible and text.images:
                    layer.pages[index] = _with_image_marks(pdf, index, text)
                else:
                    continue
                ocr_used = True
        if ocr_used:
            kind = "pdf_scanned"
        words, furniture = _assemble(layer.pages, limits.max_chars)
        return Extraction(format=kind, pages=pages, words=words, values=form.values, field_names=form.names,
                          furniture=_metadata(pdf) + furniture, ocr_used=ocr_used)
    except pdfium.PdfiumError as error:
        raise UnreadableDocument("PDF is damaged or incomplete (a page could not be read)") from error
    finally:
        pdf.close()


def _needs_ocr(text: PageText) -> bool:
    """True for a page whose text must come from its image: a scan without text, or a garbled text layer."""
    return text.garbled or (text.images and text.chars < MIN_CHARS_PER_PAGE)


def _ocr_page(pdf: pdfium.PdfDocument, index: int, limits: Limits) -> PageText:
    require_tesseract()
    page = pdf[index]
    try:
        scanned = read_scanned_page(page, limits)
    finally:
        page.close()
    return PageText(scanned.words, scanned.height, sum(len(w.text) for w in scanned.words), images=True)


def _with_image_marks(pdf: pdfium.PdfDocument, index: int, text: PageText) -> PageText:
    page = pdf[index]
    try:
        return replace(text, words=marks_under_text(page, text.words))
    finally:
        page.close()


def _assemble(pages: list[PageText], max_chars: int) -> tuple[list[Word], list[str]]:
    """Every page's words placed below the pages before it (at most `max_chars` characters), and furniture lines."""
    words: list[Word] = []
    furniture: list[str] = []
    offset = 0.0
    budget = max_chars
    for text in pages:
        page_words = text.words
        taken = sum(len(w.text) for w in page_words)
        if taken > budget:
            page_words = take_words(page_words, budget)
        budget -= taken
        placed = [replace(w, top=w.top + offset, bottom=w.bottom + offset) for w in page_words]
        words += placed
        furniture += furniture_lines(placed, offset, text.height)
        offset += text.height
        if budget <= 0:
            break
    return words, furniture


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
