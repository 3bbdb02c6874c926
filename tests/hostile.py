"""Builders of hostile and broken documents for tests: each returns the bytes of one file.

Everything is made here, in memory, from the installed libraries; nothing is fetched. The
password-protected DOCX is made with msoffcrypto-tool (a test dependency).
"""
from __future__ import annotations

import io
import zipfile
import zlib

import msoffcrypto.format.ooxml
import pypdf
from docx import Document
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

USER_PASSWORD = "partner-2024"
OWNER_PASSWORD = "owner-only-secret"

_MB = 1024 * 1024
_W_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def docx_letter() -> bytes:
    """A covering letter, not a form: a real parser reads it and files it as `not_cpi`."""
    document = Document()
    document.add_paragraph("Riverside Family Centre, 12 Mill Lane, Southampton SO14 7DU")
    document.add_paragraph("20 November 2026")
    document.add_paragraph("Dear Intelligence Unit,")
    for _ in range(3):
        document.add_paragraph(
            "Thank you for the training session on information sharing last week. Our staff "
            "found it useful and we would welcome a follow-up visit in the new year to discuss "
            "how we record concerns before passing them on."
        )
    document.add_paragraph("Yours sincerely,")
    document.add_paragraph("Centre Manager")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_invoice() -> bytes:
    """An invoice with a text layer, not a form: a real parser reads it and files it as `not_cpi`."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle("Invoice 4471")
    page.setFont("Helvetica-Bold", 18)
    page.drawString(72, 770, "INVOICE 4471")
    page.setFont("Helvetica", 11)
    lines = [
        "Bright Print Ltd, Unit 4, Harbour Road, Portsmouth PO1 3AX",
        "Date: 18 November 2026",
        "Bill to: Riverside Family Centre",
        "Leaflets, A5, full colour, 2000 copies          GBP 240.00",
        "Delivery                                        GBP  15.00",
        "VAT at 20%                                      GBP  51.00",
        "Total due within 30 days                        GBP 306.00",
    ]
    for number, line in enumerate(lines):
        page.drawString(72, 730 - 20 * number, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


def docx_zip_bomb(inflated_mb: int = 300) -> bytes:
    """A DOCX whose document.xml inflates to `inflated_mb` MB of spaces from under 1 MB: python-docx
    inflates it all; a real parser refuses on the declared size (Limits.max_part_bytes) first."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(f'<w:document xmlns:w="{_W_NAMESPACE}"><w:body><w:p><w:r><w:t>'.encode())
            spaces = b" " * _MB
            for _ in range(inflated_mb):
                part.write(spaces)
            part.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return buffer.getvalue()


def docx_entity_bomb() -> bytes:
    """A DOCX whose document.xml is a "billion laughs" entity bomb: lxml (python-docx) refuses it
    with an XMLSyntaxError at once; a real parser reports the document as damaged."""
    levels = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    levels += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<!DOCTYPE w:document [{''.join(levels)}]>"
        f'<w:document xmlns:w="{_W_NAMESPACE}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        archive.writestr("word/document.xml", body)
    return buffer.getvalue()


def docx_password_protected() -> bytes:
    """The letter saved with a password to open (OLE2 EncryptionInfo + EncryptedPackage): a real
    parser cannot read it and says the document is protected by a password."""
    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(docx_letter())).encrypt(USER_PASSWORD, encrypted)
    return encrypted.getvalue()


def pdf_user_password() -> bytes:
    """The invoice with a password to open (RC4-128): a real parser cannot decrypt it with the
    empty password and says the document is protected by a password."""
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(pdf_invoice()))
    writer.encrypt(user_password=USER_PASSWORD, owner_password=OWNER_PASSWORD)
    return _written(writer)


def pdf_owner_password_only() -> bytes:
    """The invoice encrypted with only an owner (permissions) password: it opens with the empty
    password, and a real parser reads it like any other PDF."""
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(pdf_invoice()))
    writer.encrypt(user_password="", owner_password=OWNER_PASSWORD)
    return _written(writer)


def truncated_pdf() -> bytes:
    """The first half of the invoice (no xref, no trailer): pypdf, pdfium and pdfminer all
    refuse it; a real parser reports the document as damaged."""
    whole = pdf_invoice()
    return whole[: len(whole) // 2]


def truncated_docx() -> bytes:
    """The first half of the letter (no zip central directory): python-docx raises BadZipFile; a
    real parser reports a damaged Word document."""
    whole = docx_letter()
    return whole[: len(whole) // 2]


def empty_file() -> bytes:
    """No bytes at all: a real parser reports an empty attachment without trying to read it."""
    return b""


def pdf_compression_bomb(inflated_mb: int = 300) -> bytes:
    """A one-page PDF whose FlateDecode content stream inflates to `inflated_mb` MB of text
    operators: pypdf refuses (LimitReachedError), pdfium and pdfplumber abort (SIGABRT) in the pool."""
    drawing = b"BT /F1 9 Tf 40 800 Td (Community Partnership Information) Tj ET\n"
    chunk = drawing * (_MB // len(drawing))
    compressor = zlib.compressobj(9)
    compressed = [compressor.compress(chunk) for _ in range(inflated_mb)]
    compressed.append(compressor.flush())
    content = b"".join(compressed)
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(content, b"/Filter /FlateDecode"),
            _HELVETICA,
        ]
    )


def pdf_million_chars() -> bytes:
    """A 2 KB PDF drawing a 1,000-character form XObject 1,000 times (a million characters):
    pdfium reads it in under 1 s, pdfplumber exceeds 1 GB; a real parser stops at Limits.max_chars."""
    line = b"BT /F1 1 Tf 0 0 Td (" + b"Community " * 100 + b") Tj ET"
    page = zlib.compress(b"q /Fm1 Do Q\n" * 1000, 9)
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /XObject << /Fm1 5 0 R >> >> >>",
            _stream(page, b"/Filter /FlateDecode"),
            _stream(
                line,
                b"/Type /XObject /Subtype /Form /BBox [0 0 595 842]"
                b" /Resources << /Font << /F1 6 0 R >> >>",
            ),
            _HELVETICA,
        ]
    )


def pdf_cyclic_page_tree() -> bytes:
    """A PDF whose page-tree node lists itself among its kids: pypdf and pdfium refuse it
    (pdfminer skips the loop); a real parser reports the document as damaged."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(b"BT /F1 12 Tf 72 770 Td (Page one) Tj ET"),
            _HELVETICA,
        ]
    )


def pdf_xref_loop() -> bytes:
    """A PDF whose xref trailer names itself as the previous section (/Prev): pypdf and pdfium
    stop following the chain and read the one page (pdfminer fails); a real parser reads it."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            _stream(b"BT /F1 12 Tf 72 770 Td (Page one) Tj ET"),
            _HELVETICA,
        ],
        prev_is_self=True,
    )


_HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def _stream(content: bytes, entries: bytes = b"") -> bytes:
    """A PDF stream object's body: its dictionary (with /Length) and the content."""
    return b"<< " + entries + b" /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def _pdf(objects: list[bytes], *, prev_is_self: bool = False) -> bytes:
    """A PDF file of `objects` (numbered from 1, the first is the catalog) with a classic xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    prev = b" /Prev %d" % xref_at if prev_is_self else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (len(objects) + 1, prev)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def _written(writer: pypdf.PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
