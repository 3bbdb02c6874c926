"""Word 97-2003 (.doc) conversion with LibreOffice, and what the DOCX reader makes of the result."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import docx
import olefile
import pytest

from parsers.config import Limits
from parsers.doc_convert import NOT_INSTALLED, doc_to_docx
from parsers.docx_reader import read_docx
from parsers.extraction import UnreadableDocument

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
LIMITS = Limits()


@pytest.fixture(scope="module")
def word97(tmp_path_factory) -> bytes:
    """A .doc saved by LibreOffice from a small CPI-like DOCX built here."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("doc")
    document = docx.Document()
    document.add_paragraph("Community Partnership Information Sharing (CPI) Form")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "Your name", (0, 1): "Jane Smith",
                             (1, 0): "Organisation", (1, 1): "Riverside School"}.items():
        table.cell(row, col).text = text
    document.sections[0].footer.paragraphs[0].text = "CPI Form v3.1 – March 2023"
    document.save(folder / "form.docx")
    subprocess.run([SOFFICE, f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                    "--headless", "--norestore", "--convert-to", "doc", "--outdir", str(folder),
                    str(folder / "form.docx")], check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    return (folder / "form.doc").read_bytes()


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """Temporary files of the conversion go here, so the test can see they are removed."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@needs_soffice
def test_doc_converts_and_reads_as_the_form_it_was_made_from(word97, private_tmp):
    extraction = read_docx(doc_to_docx(word97, LIMITS), LIMITS)
    rows = {}
    for word in extraction.words:
        rows.setdefault(word.top, []).append((word.text, word.x0))
    lines = list(rows.values())
    assert [text for text, _ in lines[0]] == ["Community", "Partnership", "Information",
                                              "Sharing", "(CPI)", "Form"]
    assert lines[1] == [("Your", 0.0), ("name", 25.0), ("Jane", 1000.0), ("Smith", 1025.0)]
    assert lines[2] == [("Organisation", 0.0), ("Riverside", 1000.0), ("School", 1050.0)]
    assert "CPI Form v3.1 – March 2023" in extraction.furniture
    assert list(private_tmp.iterdir()) == []


@needs_soffice
def test_the_docx_reader_names_a_doc_given_as_docx(word97):
    with pytest.raises(UnreadableDocument, match=r"Word 97-2003 \(.doc\) document, not .docx"):
        read_docx(word97, LIMITS)


def set_encrypted_flag(word97: bytes) -> bytes:
    """The .doc with the FIB's fEncrypted bit set in its WordDocument stream."""
    with olefile.OleFileIO(word97) as ole:
        entry = ole.direntries[ole._find("WordDocument")]
        assert entry.size >= ole.minisectorcutoff  # stored in regular sectors
        offset = (entry.isectStart + 1) * ole.sectorsize
    data = bytearray(word97)
    assert data[offset:offset + 2] == b"\xec\xa5"  # the FIB's wIdent
    data[offset + 11] |= 0x01  # flags at offset 10, little-endian: 0x0100 is fEncrypted
    return bytes(data)


@needs_soffice
def test_password_protected_doc_is_refused_before_conversion(word97, private_tmp):
    with pytest.raises(UnreadableDocument, match="^password-protected Word document$"):
        doc_to_docx(set_encrypted_flag(word97), LIMITS)
    assert list(private_tmp.iterdir()) == []


@needs_soffice
def test_a_conversion_past_the_time_limit_is_stopped_and_cleaned_up(word97, private_tmp):
    with pytest.raises(UnreadableDocument, match="took too long"):
        doc_to_docx(word97, Limits(convert_seconds=0.05))
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize("data", [b"", b"{\\rtf1 not a Word 97 file}", b"PK\x03\x04zip"])
def test_what_is_not_a_word97_file_is_refused(data):
    with pytest.raises(UnreadableDocument, match="not a Word 97-2003"):
        doc_to_docx(data, LIMITS)


@needs_soffice
def test_missing_libreoffice_is_named_plainly(word97, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UnreadableDocument) as raised:
        doc_to_docx(word97, LIMITS)
    assert str(raised.value) == NOT_INSTALLED


@needs_soffice
def test_conversion_works_under_a_workers_lower_memory_limit(word97, tmp_path):
    """A parser worker may already have a 1 GB address-space hard limit; LibreOffice keeps it."""
    source = tmp_path / "form.doc"
    source.write_bytes(word97)
    script = ("import resource, sys\n"
              "resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))\n"
              "from parsers.config import Limits\n"
              "from parsers.doc_convert import doc_to_docx\n"
              "from parsers.docx_reader import read_docx\n"
              "data = doc_to_docx(open(sys.argv[1], 'rb').read(), Limits())\n"
              "print(' '.join(w.text for w in read_docx(data, Limits()).words))\n")
    done = subprocess.run([sys.executable, "-c", script, str(source)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr[-500:]
    assert "Jane Smith" in done.stdout
