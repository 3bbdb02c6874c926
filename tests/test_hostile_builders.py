"""The hostile-document builders make what they claim: the right type, the right trap."""
from __future__ import annotations

import io
import zipfile

import pypdf
import pytest

from parsers.sniff import sniff
import hostile


@pytest.mark.parametrize(
    ("builder", "kind"),
    [
        (hostile.docx_letter, "docx"),
        (hostile.pdf_invoice, "pdf"),
        (hostile.docx_entity_bomb, "docx"),
        (hostile.docx_password_protected, "encrypted_office"),
        (hostile.pdf_user_password, "pdf"),
        (hostile.pdf_owner_password_only, "pdf"),
        (hostile.truncated_pdf, "pdf"),
        (hostile.truncated_docx, "docx"),
        (hostile.empty_file, "empty"),
        (hostile.pdf_million_chars, "pdf"),
        (hostile.pdf_cyclic_page_tree, "pdf"),
        (hostile.pdf_xref_loop, "pdf"),
    ],
)
def test_builder_makes_the_expected_type(builder, kind):
    assert sniff(builder()) == kind


def test_zip_bomb_is_small_but_declares_hundreds_of_megabytes():
    bomb = hostile.docx_zip_bomb()
    assert sniff(bomb) == "docx"
    assert len(bomb) < 1024 * 1024
    declared = zipfile.ZipFile(io.BytesIO(bomb)).getinfo("word/document.xml").file_size
    assert declared > 300 * 1024 * 1024


def test_compression_bomb_is_under_a_megabyte():
    bomb = hostile.pdf_compression_bomb()
    assert sniff(bomb) == "pdf"
    assert len(bomb) < 1024 * 1024


def test_user_password_pdf_does_not_open_with_the_empty_password():
    reader = pypdf.PdfReader(io.BytesIO(hostile.pdf_user_password()))
    assert reader.is_encrypted
    assert not reader.decrypt("")
    assert reader.decrypt(hostile.USER_PASSWORD)
    assert "INVOICE 4471" in reader.pages[0].extract_text()


def test_owner_password_pdf_opens_with_the_empty_password():
    reader = pypdf.PdfReader(io.BytesIO(hostile.pdf_owner_password_only()))
    assert reader.is_encrypted
    assert "INVOICE 4471" in reader.pages[0].extract_text()


def test_truncated_files_are_half_of_a_real_file():
    assert hostile.truncated_pdf() == hostile.pdf_invoice()[: len(hostile.pdf_invoice()) // 2]
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(hostile.truncated_docx()))


def test_million_character_pdf_is_tiny():
    document = hostile.pdf_million_chars()
    assert len(document) < 4096
    page = pypdf.PdfReader(io.BytesIO(document)).pages[0]
    assert len(page.extract_text()) >= 1_000_000
