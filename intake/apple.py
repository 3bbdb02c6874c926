"""Files as Macintosh mail programs send them: AppleSingle, AppleDouble and BinHex 4.0.

- AppleDouble (multipart/appledouble): an `application/applefile` header part, then the data
  fork as an ordinary part; the header part holds no data fork and is ignored.
- AppleSingle (`application/applefile` whose header magic is 0x00051600): one file holding both
  forks; `applesingle_data_fork` takes the data fork (entry 1) and the real name (entry 3).
- BinHex 4.0 (`application/mac-binhex40`, text starting "(This file must be converted with
  BinHex"): 6-bit text, run-length coded, holding a header, the data fork and the resource
  fork; `binhex_data_fork` takes the name and the data fork. CRCs are not checked.
"""
from __future__ import annotations

import struct

APPLESINGLE_MAGIC = b"\x00\x05\x16\x00"
APPLEDOUBLE_MAGIC = b"\x00\x05\x16\x07"
BINHEX_MARKER = b"(This file must be converted with BinHex"

_ALPHABET = b"!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"
_VALUES = {c: i for i, c in enumerate(_ALPHABET)}
_RUN = 0x90
_DATA_FORK, _REAL_NAME = 1, 3
_MAX_ENTRIES = 64


class AppleError(Exception):
    """The file cannot be read; the message is the reason in plain words."""


def applesingle_data_fork(data: bytes) -> tuple[str | None, bytes]:
    """The real name (if recorded) and data fork of an AppleSingle file."""
    if not data.startswith(APPLESINGLE_MAGIC) or len(data) < 26:
        raise AppleError("the Macintosh file (AppleSingle) is damaged")
    (count,) = struct.unpack_from(">H", data, 24)
    name, fork = None, None
    for index in range(min(count, _MAX_ENTRIES)):
        if 26 + 12 * (index + 1) > len(data):
            break
        entry, offset, length = struct.unpack_from(">III", data, 26 + 12 * index)
        if offset + length > len(data):
            raise AppleError("the Macintosh file (AppleSingle) is damaged")
        if entry == _DATA_FORK:
            fork = data[offset:offset + length]
        elif entry == _REAL_NAME:
            name = data[offset:offset + length].decode("mac-roman", errors="replace")
    if fork is None:
        raise AppleError("the Macintosh file (AppleSingle) holds no data")
    return name, fork


def is_binhex(data: bytes) -> bool:
    return BINHEX_MARKER in data[:1024]


def binhex_data_fork(data: bytes, max_bytes: int) -> tuple[str, bytes]:
    """The name and data fork of a BinHex 4.0 file; a fork over `max_bytes` raises AppleError."""
    start = data.find(b":", data.find(BINHEX_MARKER) + len(BINHEX_MARKER))
    end = data.find(b":", start + 1)
    if start < 0 or end < 0:
        raise AppleError("the Macintosh file (BinHex) is damaged")
    decoded = _unrun(_six_bit(data[start + 1:end]), max_bytes)
    if not decoded or len(decoded) < decoded[0] + 22:
        raise AppleError("the Macintosh file (BinHex) is damaged")
    length = decoded[0]
    name = decoded[1:1 + length].decode("mac-roman", errors="replace")
    header = 1 + length + 1 + 4 + 4 + 2
    (data_length,) = struct.unpack_from(">I", decoded, header)
    if data_length > max_bytes:
        raise AppleError("the Macintosh file (BinHex) is larger than the attachment limit")
    fork_start = header + 4 + 4 + 2
    fork = decoded[fork_start:fork_start + data_length]
    if len(fork) < data_length:
        raise AppleError("the Macintosh file (BinHex) is damaged")
    return name, fork


def _six_bit(text: bytes) -> bytes:
    """BinHex's 6-bit characters to bytes (line breaks and spaces skipped)."""
    out = bytearray()
    bits = count = 0
    for char in text:
        value = _VALUES.get(char)
        if value is None:
            if char in b" \t\r\n":
                continue
            raise AppleError("the Macintosh file (BinHex) is damaged")
        bits = (bits << 6) | value
        count += 6
        if count >= 8:
            count -= 8
            out.append((bits >> count) & 0xFF)
    return bytes(out)


def _unrun(data: bytes, max_bytes: int) -> bytes:
    """Undo BinHex run-length coding (0x90 n: the byte before repeated n times in all; 0x90 0: 0x90)."""
    limit = max_bytes + 1024  # the header and CRCs beside the data fork
    out = bytearray()
    index = 0
    while index < len(data) and len(out) <= limit:
        byte = data[index]
        if byte == _RUN and index + 1 < len(data):
            count = data[index + 1]
            index += 2
            if count == 0:
                out.append(_RUN)
            elif out:
                out += bytes([out[-1]]) * (count - 1)
            continue
        out.append(byte)
        index += 1
    return bytes(out)
