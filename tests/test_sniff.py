"""File types are told from the bytes alone."""
from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import olefile
import pytest

from parsers.sniff import sniff
import hostile


@pytest.fixture(scope="module")
def word97(tmp_path_factory) -> Path:
    """The letter converted to Word 97-2003 by LibreOffice."""
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice (soffice) is needed to make a .doc")
    folder = tmp_path_factory.mktemp("doc")
    (folder / "letter.docx").write_bytes(hostile.docx_letter())
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{folder}/profile",
         "--convert-to", "doc", "--outdir", str(folder), str(folder / "letter.docx")],
        check=True, capture_output=True, timeout=120,
    )
    return folder / "letter.doc"


def zipped(**parts: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name.replace("__", "/"), text)
    return buffer.getvalue()


def test_pdf_is_found_after_leading_junk_within_1024_bytes():
    invoice = hostile.pdf_invoice()
    assert sniff(invoice) == "pdf"
    assert sniff(b"\r\n" * 400 + invoice) == "pdf"
    assert sniff(b"x" * 1100 + invoice) == "unknown"


def test_a_zip_is_a_docx_only_with_a_word_document_part():
    assert sniff(hostile.docx_letter()) == "docx"
    assert sniff(zipped(xl__workbook_xml="<workbook/>")) == "zip"
    assert sniff(zipped(word__styles_xml="<styles/>")) == "zip"


def test_a_damaged_zip_is_a_docx_when_it_shows_word_parts():
    assert sniff(hostile.truncated_docx()) == "docx"
    letter = zipped(notes_txt="x" * 5000)
    assert sniff(letter[: len(letter) // 2]) == "zip"


def test_legacy_word_document(word97):
    assert sniff(word97.read_bytes()) == "doc"


def test_legacy_word_document_marked_encrypted(word97, tmp_path):
    copy = tmp_path / "locked.doc"
    shutil.copy(word97, copy)
    with olefile.OleFileIO(str(copy), write_mode=True) as ole:
        stream = bytearray(ole.openstream("WordDocument").read())
        stream[0x0B] |= 0x01  # FibBase.fEncrypted
        ole.write_stream("WordDocument", bytes(stream))
    assert sniff(copy.read_bytes()) == "encrypted_office"


def test_password_protected_docx_is_encrypted_office():
    assert sniff(hostile.docx_password_protected()) == "encrypted_office"


def test_a_damaged_ole_file_naming_a_word_stream_is_still_a_doc(word97):
    damaged = bytearray(word97.read_bytes())
    damaged[0x4C:0x50] = b"\xff\xff\xff\x7f"  # the header's first FAT sector: out of range
    with pytest.raises(OSError):
        olefile.OleFileIO(io.BytesIO(bytes(damaged)))
    assert sniff(bytes(damaged)) == "doc"


@pytest.mark.parametrize("blank", [b"", b"   \r\n\t ", b"\x00" * 4096])
def test_blank_attachments_are_empty(blank):
    assert sniff(blank) == "empty"


def test_rtf_and_other_bytes():
    assert sniff(b"{\\rtf1\\ansi Dear Sir}") == "rtf"
    assert sniff(b"GIF89a\x01\x00") == "unknown"
    assert sniff(b" hello") == "unknown"


def test_opendocument_text_is_told_by_its_mimetype_part():
    odt = "application/vnd.oasis.opendocument.text"
    assert sniff(zipped(mimetype=odt, content_xml="<office:document-content/>")) == "odt"
    assert sniff(zipped(mimetype=odt + "-template", content_xml="<x/>")) == "odt"
    assert sniff(zipped(mimetype="application/vnd.oasis.opendocument.spreadsheet", content_xml="<x/>")) == "zip"
    assert sniff(zipped(mimetype=odt + " " * 200, content_xml="<x/>")) == "zip"
