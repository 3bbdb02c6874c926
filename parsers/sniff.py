"""What kind of document some bytes are, from their magic numbers only (never a name or MIME type).

`sniff` is cheap: it reads a zip's central directory (and an OpenDocument zip's tiny `mimetype`
part) or an OLE2 directory, never a document body.

Decisions:
- "empty": no bytes, or only whitespace and NUL bytes (a failed or blank attachment).
- "pdf": `%PDF-` within the first 1024 bytes (readers tolerate that much leading junk).
- "docx": a zip whose directory lists `word/document.xml`. A zip whose central directory cannot
  be read (truncated, damaged) is still "docx" when a local file header in it names a `word/`
  part, so the DOCX reader can report the document as damaged rather than as an unknown type.
- "odt": a zip whose `mimetype` part names OpenDocument text (or a text template), as
  LibreOffice and OpenOffice write it.
- "zip": any other zip (including one that is damaged and shows no `word/` part).
- "encrypted_office": an OLE2 file with `EncryptionInfo` / `EncryptedPackage` streams (a
  password-protected Office 2007+ document), or a Word 97-2003 document whose header says it is
  encrypted (`fEncrypted`).
- "doc": an OLE2 file with a `WordDocument` stream; also a damaged OLE2 file whose directory
  cannot be read but that names a `WordDocument` stream.
- "rtf": `{\\rtf` at the start. Word saves RTF under a `.doc` name and the legacy-Word reader's
  converter reads it the same way, so it is worth telling apart from "unknown".
- "unknown": anything else (including other OLE2 files such as spreadsheets).
"""
from __future__ import annotations

import io
import re
import struct
import zipfile

import olefile

PDF_MAGIC = b"%PDF-"
PDF_SEARCH_BYTES = 1024
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
RTF_MAGIC = b"{\\rtf"
BLANK = b" \t\r\n\x0b\x0c\x00"

_LOCAL_HEADER = re.compile(re.escape(ZIP_MAGIC))
ODT_MIMETYPES = frozenset({b"application/vnd.oasis.opendocument.text",
                           b"application/vnd.oasis.opendocument.text-template"})
_MIMETYPE_BYTES = 128  # a longer `mimetype` part is not one of ours
_LOCAL_HEADER_SCAN = 256  # local headers looked at in a damaged zip
_WORD_DOCUMENT_UTF16 = "WordDocument".encode("utf-16-le")
_FIB_FLAGS_OFFSET = 0x0A
_FIB_ENCRYPTED = 0x0100


def sniff(data: bytes) -> str:
    """Return "pdf", "docx", "doc", "odt", "encrypted_office", "zip", "rtf", "empty" or "unknown"."""
    if not data or (data[0] in BLANK and not data.strip(BLANK)):
        return "empty"
    if PDF_MAGIC in data[:PDF_SEARCH_BYTES]:
        return "pdf"
    if data.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return _sniff_zip(data)
    if data.startswith(OLE_MAGIC):
        return _sniff_ole(data)
    if data.startswith(RTF_MAGIC):
        return "rtf"
    return "unknown"


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return "docx"
            info = archive.getinfo("mimetype") if "mimetype" in names else None
            if info is not None and info.file_size <= _MIMETYPE_BYTES:
                with archive.open(info) as part:
                    if part.read(_MIMETYPE_BYTES + 1).strip() in ODT_MIMETYPES:
                        return "odt"
    except Exception:  # zipfile raises many types on hostile bytes; all mean "damaged"
        return "docx" if _local_headers_name_word_part(data) else "zip"
    return "zip"


def _local_headers_name_word_part(data: bytes) -> bool:
    """Whether one of the first local file headers of a (damaged) zip names a `word/` part."""
    for count, match in enumerate(_LOCAL_HEADER.finditer(data)):
        if count >= _LOCAL_HEADER_SCAN:
            break
        start = match.start()
        if start + 30 > len(data):
            break
        (name_length,) = struct.unpack_from("<H", data, start + 26)
        if data[start + 30 : start + 30 + name_length].startswith(b"word/"):
            return True
    return False


def _sniff_ole(data: bytes) -> str:
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
                return "encrypted_office"
            if ole.exists("WordDocument"):
                with ole.openstream("WordDocument") as stream:
                    header = stream.read(_FIB_FLAGS_OFFSET + 2)
                if len(header) == _FIB_FLAGS_OFFSET + 2:
                    (flags,) = struct.unpack_from("<H", header, _FIB_FLAGS_OFFSET)
                    if flags & _FIB_ENCRYPTED:
                        return "encrypted_office"
                return "doc"
    except Exception:  # olefile raises many types on hostile bytes; all mean "damaged"
        return "doc" if _WORD_DOCUMENT_UTF16 in data else "unknown"
    return "unknown"
