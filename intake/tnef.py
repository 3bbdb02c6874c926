"""The files inside an Outlook TNEF stream (`winmail.dat`, application/ms-tnef).

Outlook wraps a message's attachments in TNEF when it sends "rich text" mail. The stream is a
signature, then attributes (level, id, length, data, checksum); each attachment starts with
attAttachRendData and carries its name (attAttachTitle, or the long name among its MAPI
properties) and its bytes (attAttachData, or PR_ATTACH_DATA_OBJ). An attached e-mail is an
embedded message whose PR_ATTACH_DATA_OBJ holds a TNEF stream of its own: it is returned as one
file (that stream) for the caller to open in turn, so the caller bounds the nesting.

Decisions:
- Read here in one linear pass over a memoryview: a library that copies the rest of the stream
  for each attribute, and opens embedded messages recursively on its own, would let a hostile
  stream cost quadratic time or unbounded nesting.
- Checksums are not checked: Outlook writes them right, and a wrong one loses nothing here.
- A truncated stream keeps the attachments read before the damage; a stream that is not TNEF,
  or that holds more than MAX_ATTRIBUTES attributes, raises TnefError with the reason.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

SIGNATURE = b"\x78\x9f\x3e\x22"  # 0x223E9F78, little-endian
MAX_ATTRIBUTES = 10_000
MAX_PROPERTIES = 10_000  # MAPI properties in one attribute

_LEVEL_ATTACHMENT = 0x02
_ATT_ATTACH_REND_DATA = 0x9002
_ATT_ATTACH_TITLE = 0x8010
_ATT_ATTACH_DATA = 0x800F
_ATT_ATTACHMENT = 0x9005
_ATT_OEM_CODEPAGE = 0x9007

_PR_DISPLAY_NAME = 0x3001
_PR_ATTACH_DATA = 0x3701
_PR_ATTACH_FILENAME = 0x3704
_PR_ATTACH_LONG_FILENAME = 0x3707
_IID_IMESSAGE = bytes.fromhex("0703020000000000C000000000000046")

_FIXED_SIZES = {0x0001: 0, 0x0002: 2, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8,
                0x000A: 4, 0x000B: 2, 0x0014: 8, 0x0040: 8, 0x0048: 16}
_VARIABLE = frozenset({0x000D, 0x001E, 0x001F, 0x0102})
_MULTIPLE = 0x1000
_STRING8, _UNICODE = 0x001E, 0x001F


class TnefError(Exception):
    """The stream cannot be read; the message is the reason in plain words."""


@dataclass
class TnefFile:
    """One attachment: its name as sent (None if it has none) and its bytes."""

    name: str | None
    data: bytes


@dataclass
class _Attachment:
    title: str | None = None
    long_name: str | None = None
    display_name: str | None = None
    data: bytes | None = None


def is_tnef(data: bytes) -> bool:
    """Whether `data` starts with the TNEF signature."""
    return data[:4] == SIGNATURE


def read_tnef(data: bytes) -> list[TnefFile]:
    """The attachments of a TNEF stream, in order (an attached e-mail as its own TNEF stream)."""
    if not is_tnef(data) or len(data) < 6:
        raise TnefError("the winmail.dat file is not a TNEF file")
    view = memoryview(data)
    codepage = "cp1252"
    attachments: list[_Attachment] = []
    offset, count = 6, 0
    while offset + 11 <= len(view):
        count += 1
        if count > MAX_ATTRIBUTES:
            raise TnefError(f"the winmail.dat file holds more than {MAX_ATTRIBUTES} parts")
        level = view[offset]
        attribute, length = struct.unpack_from("<II", view, offset + 1)
        start = offset + 9
        if start + length + 2 > len(view):
            break  # truncated: keep what was read
        value = view[start:start + length]
        offset = start + length + 2
        ident = attribute & 0xFFFF
        if ident == _ATT_OEM_CODEPAGE and length >= 4:
            codepage = _codepage(struct.unpack_from("<I", value)[0])
        elif ident == _ATT_ATTACH_REND_DATA:
            attachments.append(_Attachment())
        elif level == _LEVEL_ATTACHMENT and attachments:
            _attachment_attribute(attachments[-1], ident, value, codepage)
    return [TnefFile(_name(a), a.data) for a in attachments if a.data is not None]


def _attachment_attribute(attachment: _Attachment, ident: int, value: memoryview, codepage: str) -> None:
    if ident == _ATT_ATTACH_TITLE:
        attachment.title = _string(value, codepage)
    elif ident == _ATT_ATTACH_DATA:
        attachment.data = bytes(value)
    elif ident == _ATT_ATTACHMENT:
        for prop, kind, raw in _properties(value):
            if prop == _PR_ATTACH_LONG_FILENAME and kind in (_STRING8, _UNICODE):
                attachment.long_name = _prop_string(raw, kind, codepage)
            elif prop == _PR_ATTACH_FILENAME and kind in (_STRING8, _UNICODE) and not attachment.title:
                attachment.title = _prop_string(raw, kind, codepage)
            elif prop == _PR_DISPLAY_NAME and kind in (_STRING8, _UNICODE):
                attachment.display_name = _prop_string(raw, kind, codepage)
            elif prop == _PR_ATTACH_DATA and attachment.data is None:
                # An attached e-mail: the object is IID_IMessage then a TNEF stream.
                attachment.data = raw[16:] if raw.startswith(_IID_IMESSAGE) else raw


def _name(attachment: _Attachment) -> str | None:
    name = attachment.long_name or attachment.title
    if name is None and attachment.display_name and is_tnef(attachment.data or b""):
        name = attachment.display_name + ".msg"
    return name or None


def _properties(value: memoryview) -> list[tuple[int, int, bytes]]:
    """(property id, type, first value) of each MAPI property, as far as they can be read."""
    found: list[tuple[int, int, bytes]] = []
    try:
        (count,) = struct.unpack_from("<I", value, 0)
        offset = 4
        for _ in range(min(count, MAX_PROPERTIES)):
            kind, prop = struct.unpack_from("<HH", value, offset)
            offset += 4
            if prop >= 0x8000:  # a named property: GUID, then an id or a name
                (named,) = struct.unpack_from("<I", value, offset + 16)
                offset += 20
                if named == 0:
                    offset += 4
                else:
                    (size,) = struct.unpack_from("<I", value, offset)
                    offset += 4 + _padded(size)
            values = 1
            base = kind & ~_MULTIPLE
            if kind & _MULTIPLE or base in _VARIABLE:
                (values,) = struct.unpack_from("<I", value, offset)
                offset += 4
            first = b""
            for index in range(values):
                if base in _VARIABLE:
                    (size,) = struct.unpack_from("<I", value, offset)
                    item = bytes(value[offset + 4:offset + 4 + size])
                    offset += 4 + _padded(size)
                elif base in _FIXED_SIZES:
                    size = _FIXED_SIZES[base]
                    item = bytes(value[offset:offset + size])
                    offset += _padded(size)
                else:
                    return found  # an unknown type: its size cannot be known
                if offset > len(value):
                    return found
                if index == 0:
                    first = item
            found.append((prop, base, first))
    except struct.error:  # truncated properties: keep those read
        pass
    return found


def _padded(size: int) -> int:
    return (size + 3) & ~3


def _string(value: memoryview | bytes, codepage: str) -> str:
    return bytes(value).split(b"\0", 1)[0].decode(codepage, errors="replace")


def _prop_string(raw: bytes, kind: int, codepage: str) -> str:
    if kind == _UNICODE:
        return raw.decode("utf-16-le", errors="replace").split("\0", 1)[0]
    return _string(raw, codepage)


def _codepage(number: int) -> str:
    name = f"cp{number}"
    try:
        "".encode(name)
    except LookupError:
        return "cp1252"
    return name
