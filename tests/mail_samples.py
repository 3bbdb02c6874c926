"""Realistic partner e-mails as raw RFC 5322 bytes (CRLF line ends), to read directly or APPEND to a server.

`email_with_forms` attaches forms in each shape partners' mail programs produce; `forward`
wraps any e-mail as an attached forwarded one (a forward of a forward is `forward(forward(...))`);
`email_without_form` is a plain enquiry. Every builder makes a new Message-ID unless given one
(with or without its angle brackets); a "forwarded" shape gives it to the forwarding e-mail.
"""
from __future__ import annotations

import base64
import binascii
import io
import quopri
import secrets
import struct
import unicodedata
import zipfile
from collections.abc import Sequence
from datetime import datetime, timezone
from email.header import Header
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import quote

FORMS_DIR = Path(__file__).resolve().parents[1] / "examples" / "forms"
SHAPES = ("attachment", "octet-stream", "inline", "no-filename", "rfc2231", "encoded-word",
          "nfd", "forwarded", "zip")
EXTRAS = ("signature-image", "calendar", "vcard", "spreadsheet")
PARTNER = "Oakfield Primary School Safeguarding <safeguarding@oakfield.sch.uk>"
INTAKE = "CPI Intake <cpi-intake@police.example>"
COLLEAGUE = "Duty Sergeant <duty.sergeant@police.example>"
BODY = ("Good afternoon,\n\nPlease find attached our CPI form regarding a pupil we are "
        "concerned about.\n\nKind regards,\nDesignated Safeguarding Lead\nOakfield Primary School")

_TYPES = {".pdf": "application/pdf", ".doc": "application/msword", ".rtf": "application/rtf",
          ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          ".zip": "application/zip", ".png": "image/png", ".ics": "text/calendar",
          ".vcf": "text/vcard",
          ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# The smallest valid PNG: a 1x1 transparent pixel, as signature logos are images too.
_PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
_ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Calendar//EN\r\nMETHOD:REQUEST\r\n"
        "BEGIN:VEVENT\r\nUID:strategy-meeting@oakfield.sch.uk\r\nDTSTART:20260310T100000Z\r\n"
        "DTEND:20260310T110000Z\r\nSUMMARY:Strategy meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
_VCARD = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Designated Safeguarding Lead\r\n"
          "EMAIL:safeguarding@oakfield.sch.uk\r\nEND:VCARD\r\n")


def example_form(name: str) -> bytes:
    """The bytes of one of the example forms, e.g. "v3-pdf-form.pdf"."""
    return (FORMS_DIR / name).read_bytes()


def email_with_forms(
    forms: Sequence[tuple[str, bytes]],
    sender: str = PARTNER,
    subject: str = "CPI form",
    message_id: str | None = None,
    shape: str = "attachment",
    *,
    to: str = INTAKE,
    body: str = BODY,
    date: datetime | None = None,
    extras: Sequence[str] = (),
) -> bytes:
    """An e-mail from `sender` with `forms` ((file name, bytes) pairs) attached in `shape`.

    Shapes: "attachment" (the right MIME type, RFC 2231 names when not ASCII), "octet-stream",
    "inline" (inline disposition), "no-filename" (octet-stream, no disposition, no name),
    "rfc2231" (names always as `filename*=UTF-8''...`, long ones continued), "encoded-word"
    (names as `=?UTF-8?B?...?=`), "nfd" (names decomposed, as macOS sends them), "forwarded" (the
    forms in an e-mail from the partner forwarded by a colleague), "zip" (all forms in forms.zip).
    `extras` adds parts that are not forms: "signature-image" (an inline logo the HTML body
    shows), "calendar" (an invitation), "vcard", "spreadsheet" (an attached .xlsx).
    """
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; one of {', '.join(SHAPES)}")
    if shape == "forwarded":
        original = email_with_forms(forms, sender, subject, None, "attachment", to=to, body=body,
                                    date=date, extras=extras)
        return forward(original, subject=f"Fwd: {subject}", message_id=message_id, date=date)
    if shape == "zip":
        files = [_file_part("forms.zip", _zip(forms), "attachment")]
    else:
        files = [_file_part(name, data, shape) for name, data in forms]
    extra_parts = [_EXTRA_PARTS[extra]() for extra in extras if extra != "signature-image"]
    text = _text_body(body, with_logo="signature-image" in extras)
    return _message(sender, to, subject, message_id, date, _multipart("mixed", [text, *files, *extra_parts]))


def forward(raw: bytes, sender: str = COLLEAGUE, subject: str = "Fwd: CPI form",
            message_id: str | None = None, *, to: str = INTAKE, date: datetime | None = None) -> bytes:
    """`raw` forwarded as an attachment (message/rfc822), as Outlook and Thunderbird do."""
    note = _text_part("plain", "Forwarding the e-mail below for the CPI inbox.\n")
    attached = (b"Content-Type: message/rfc822\r\n"
                b'Content-Disposition: attachment; filename="forwarded message.eml"\r\n\r\n'
                + _crlf(raw))
    return _message(sender, to, subject, message_id, date, _multipart("mixed", [note, attached]))


def email_without_form(body: str = "Could you call me back about a pupil? Thanks.", sender: str = PARTNER,
                       subject: str = "Query", message_id: str | None = None, *, html: bool = False,
                       to: str = INTAKE, date: datetime | None = None) -> bytes:
    """An e-mail with no attachment: plain text, or HTML only when `html`."""
    if html:
        content = _text_part("html", _html(body, with_logo=False))
    else:
        content = _text_part("plain", body)
    return _message(sender, to, subject, message_id, date, content)


def _message(sender: str, to: str, subject: str, message_id: str | None, date: datetime | None,
             content: bytes) -> bytes:
    name, address = parseaddr(sender)
    headers = [
        f"From: {formataddr((name, address), charset='utf-8')}",
        f"To: {to}",
        f"Subject: {_header_text(subject)}",
        f"Date: {format_datetime(date or datetime.now(timezone.utc))}",
        f"Message-ID: {_message_id(message_id, address)}",
        "MIME-Version: 1.0",
    ]
    return "\r\n".join(headers).encode("ascii") + b"\r\n" + content


def _message_id(message_id: str | None, address: str) -> str:
    if message_id is None:
        return make_msgid(domain=address.rpartition("@")[2] or None)
    return message_id if message_id.startswith("<") else f"<{message_id}>"


def _header_text(text: str) -> str:
    if text.isascii():
        return text
    return Header(text, "utf-8").encode(linesep="\r\n")


def _multipart(subtype: str, parts: Sequence[bytes], extra: str = "") -> bytes:
    boundary = f"----=_Part_{secrets.token_hex(12)}"
    lines = [f'Content-Type: multipart/{subtype}; boundary="{boundary}"{extra}'.encode("ascii"), b""]
    for part in parts:
        lines += [f"--{boundary}".encode("ascii"), part]
    lines += [f"--{boundary}--".encode("ascii"), b""]
    return b"\r\n".join(lines)


def _text_part(subtype: str, text: str) -> bytes:
    encoded = quopri.encodestring(text.replace("\r\n", "\n").encode("utf-8"))
    return (f"Content-Type: text/{subtype}; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode("ascii") + _crlf(encoded)


def _text_body(body: str, with_logo: bool) -> bytes:
    alternative = _multipart("alternative", [_text_part("plain", body),
                                             _text_part("html", _html(body, with_logo))])
    if not with_logo:
        return alternative
    logo = (b"Content-Type: image/png; name=\"logo.png\"\r\n"
            b"Content-Disposition: inline; filename=\"logo.png\"\r\n"
            b"Content-ID: <logo@oakfield.sch.uk>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + _base64(_PNG))
    return _multipart("related", [alternative, logo], extra='; type="multipart/alternative"')


def _html(body: str, with_logo: bool) -> str:
    paragraphs = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in body.split("\n\n"))
    logo = '<p><img src="cid:logo@oakfield.sch.uk" alt="Oakfield"></p>' if with_logo else ""
    return (f"<html><head><style>p {{ font-family: Arial; }}</style></head>"
            f"<body>{paragraphs}{logo}</body></html>")


def _file_part(name: str, data: bytes, shape: str) -> bytes:
    """One attached file in `shape`'s headers."""
    if shape == "nfd":
        name = unicodedata.normalize("NFD", name)
    mime = _TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
    if shape == "no-filename":
        headers = ["Content-Type: application/octet-stream"]
    else:
        if shape == "octet-stream":
            mime = "application/octet-stream"
        if shape == "encoded-word":
            param = f'filename="{Header(name, "utf-8").encode(maxlinelen=10_000)}"'
        elif shape == "rfc2231" or not name.isascii():
            param = _rfc2231(name)
        else:
            param = f'filename="{name}"'
        disposition = "inline" if shape == "inline" else "attachment"
        headers = [f"Content-Type: {mime}; {param.replace('filename', 'name')}",
                   f"Content-Disposition: {disposition};\r\n {param}"]
    head = "\r\n".join([*headers, "Content-Transfer-Encoding: base64", "", ""]).encode("ascii")
    return head + _base64(data)


def _rfc2231(name: str) -> str:
    """`filename*=UTF-8''...`, split into continuations when long (RFC 2231 section 3)."""
    encoded = quote(name.encode("utf-8"), safe="")
    if len(encoded) <= 60:
        return f"filename*=UTF-8''{encoded}"
    pieces, start = [], 0
    while start < len(encoded):
        end = min(start + 60, len(encoded))
        while "%" in encoded[end - 2:end] and end < len(encoded):  # never split a %XX escape
            end -= 1
        pieces.append(encoded[start:end])
        start = end
    first = f"filename*0*=UTF-8''{pieces[0]}"
    return ";\r\n ".join([first, *(f"filename*{n}*={p}" for n, p in enumerate(pieces[1:], 1))])


def _zip(forms: Sequence[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in forms:
            archive.writestr(name, data)
    return buffer.getvalue()


def _base64(data: bytes) -> bytes:
    text = base64.b64encode(data)
    return b"\r\n".join(text[i:i + 76] for i in range(0, len(text), 76)) + b"\r\n"


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _calendar() -> bytes:
    return (b'Content-Type: text/calendar; charset=utf-8; method=REQUEST; name="invite.ics"\r\n'
            b'Content-Disposition: attachment; filename="invite.ics"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n" + _base64(_ICS.encode("ascii")))


def _vcard() -> bytes:
    return (b'Content-Type: text/vcard; name="dsl.vcf"\r\n'
            b'Content-Disposition: attachment; filename="dsl.vcf"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n" + _base64(_VCARD.encode("ascii")))


def _spreadsheet() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return _file_part("attendance.xlsx", buffer.getvalue(), "attachment")


_EXTRA_PARTS = {"calendar": _calendar, "vcard": _vcard, "spreadsheet": _spreadsheet}


# --- files as Outlook and Macintosh mail programs wrap them --------------------------------------

_TNEF_SIGNATURE = 0x223E9F78
_IID_IMESSAGE = bytes.fromhex("0703020000000000C000000000000046")


def tnef(files: Sequence[tuple[str, bytes]], attached: Sequence[bytes] = ()) -> bytes:
    """A TNEF stream (winmail.dat) as Outlook writes it: message attributes, then per file
    attAttachRendData, attAttachTitle (8.3 name), attAttachData and attAttachment (MAPI
    properties with the long file name); each of `attached` (a TNEF stream) as an attached e-mail."""
    out = [struct.pack("<IH", _TNEF_SIGNATURE, 0x0001)]
    out.append(_tnef_attribute(1, 0x00089006, struct.pack("<I", 0x00010000)))  # attTnefVersion
    out.append(_tnef_attribute(1, 0x00069007, struct.pack("<II", 1252, 0)))  # attOemCodepage
    out.append(_tnef_attribute(1, 0x00078008, b"IPM.Microsoft Mail.Note\0"))  # attMessageClass
    rendering = struct.pack("<HIHHI", 1, 0xFFFFFFFF, 0, 0, 0)
    for name, data in files:
        stem, _, ext = name.rpartition(".")
        short = f"{stem[:6].upper()}~1.{ext[:3].upper()}".encode("cp1252", "replace") + b"\0"
        out.append(_tnef_attribute(2, 0x00069002, rendering))  # attAttachRendData
        out.append(_tnef_attribute(2, 0x00018010, short))  # attAttachTitle
        out.append(_tnef_attribute(2, 0x0006800F, data))  # attAttachData
        props = [_mapi_property(0x0003, 0x3705, struct.pack("<I", 1)),  # PR_ATTACH_METHOD: by value
                 _mapi_property(0x001F, 0x3707, (name + "\0").encode("utf-16-le"))]
        out.append(_tnef_attribute(2, 0x00069005, struct.pack("<I", len(props)) + b"".join(props)))
    for inner in attached:
        props = [_mapi_property(0x0003, 0x3705, struct.pack("<I", 5)),  # PR_ATTACH_METHOD: e-mail
                 _mapi_property(0x001F, 0x3001, "Referral\0".encode("utf-16-le")),  # PR_DISPLAY_NAME
                 _mapi_property(0x000D, 0x3701, _IID_IMESSAGE + inner)]  # PR_ATTACH_DATA_OBJ
        out.append(_tnef_attribute(2, 0x00069002, rendering))
        out.append(_tnef_attribute(2, 0x00069005, struct.pack("<I", len(props)) + b"".join(props)))
    return b"".join(out)


def _tnef_attribute(level: int, attribute: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BII", level, attribute, len(data)) + data + struct.pack("<H", checksum)


def _mapi_property(kind: int, prop: int, value: bytes) -> bytes:
    head = struct.pack("<HH", kind, prop)
    if kind in (0x000D, 0x001E, 0x001F, 0x0102):
        padding = b"\0" * (-len(value) % 4)
        return head + struct.pack("<II", 1, len(value)) + value + padding
    return head + value + b"\0" * (-len(value) % 4)


def outlook_msg(subject: str, files: Sequence[tuple[str, bytes]],
                attached: Sequence[tuple[str, Sequence[tuple[str, bytes]]]] = ()) -> bytes:
    """An Outlook .msg (OLE2 compound file, MS-OXMSG) with `files` attached by value and each of
    `attached` ((subject, files)) attached as an e-mail of its own."""
    streams: dict[str, bytes] = {
        "__nameid_version1.0/__substg1.0_00020102": b"",
        "__nameid_version1.0/__substg1.0_00030102": b"",
        "__nameid_version1.0/__substg1.0_00040102": b"",
    }
    _msg_streams(streams, "", subject, files, attached, top=True)
    return compound_file(streams)


def _msg_streams(streams: dict[str, bytes], prefix: str, subject: str, files: Sequence[tuple[str, bytes]],
                 attached: Sequence[tuple[str, Sequence[tuple[str, bytes]]]], top: bool) -> None:
    count = len(files) + len(attached)
    header = struct.pack("<8sIIII8s", b"", 0, count, 0, count, b"") if top else struct.pack(
        "<8sIIII", b"", 0, count, 0, count)
    streams[prefix + "__properties_version1.0"] = header
    streams[prefix + "__substg1.0_001A001F"] = "IPM.Note".encode("utf-16-le")
    streams[prefix + "__substg1.0_0037001F"] = subject.encode("utf-16-le")
    streams[prefix + "__substg1.0_1000001F"] = "Please see the attached form.".encode("utf-16-le")
    for number, (name, data) in enumerate(files):
        storage = f"{prefix}__attach_version1.0_#{number:08X}/"
        stem, _, ext = name.rpartition(".")
        streams[storage + "__properties_version1.0"] = b"\0" * 8 + struct.pack("<IIQ", 0x37050003, 6, 1)
        streams[storage + "__substg1.0_37010102"] = data
        streams[storage + "__substg1.0_3707001F"] = name.encode("utf-16-le")
        streams[storage + "__substg1.0_3704001F"] = f"{stem[:6]}~1.{ext[:3]}".upper().encode("utf-16-le")
        streams[storage + "__substg1.0_370E001F"] = _TYPES.get("." + ext.lower(), "application/octet-stream").encode("utf-16-le")
    for number, (inner_subject, inner_files) in enumerate(attached, len(files)):
        storage = f"{prefix}__attach_version1.0_#{number:08X}/"
        streams[storage + "__properties_version1.0"] = b"\0" * 8 + struct.pack("<IIQ", 0x37050003, 6, 5)
        streams[storage + "__substg1.0_3001001F"] = inner_subject.encode("utf-16-le")
        _msg_streams(streams, storage + "__substg1.0_3701000D/", inner_subject, inner_files, (), top=False)


_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_NONE = 0xFFFFFFFF


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A version 3 OLE2 compound file (MS-CFB) holding `streams` ("storage/.../stream" -> bytes):
    512-byte sectors, streams under 4096 bytes in the mini stream, siblings in a balanced tree."""
    tree: dict[str, Any] = {}
    for path, data in streams.items():
        node = tree
        *folders, leaf = path.split("/")
        for folder in folders:
            node = node.setdefault(folder, {})
        node[leaf] = data
    entries: list[dict[str, Any]] = [{"name": "Root Entry", "type": 5, "node": tree}]
    queue = [0]
    while queue:  # number every entry, parents first
        index = queue.pop(0)
        node = entries[index]["node"]
        if not isinstance(node, dict):
            continue
        ids = []
        for name in sorted(node, key=lambda n: (len(n), n.upper())):
            kind = 1 if isinstance(node[name], dict) else 2
            entries.append({"name": name, "type": kind, "node": node[name]})
            ids.append(len(entries) - 1)
            queue.append(len(entries) - 1)
        entries[index]["child"] = _balanced(ids, entries)
    sectors: list[bytes] = []
    fat: dict[int, int] = {}

    def chain(data: bytes, size: int) -> int:
        if not data:
            return _END
        first = len(sectors)
        pieces = [data[i:i + size] for i in range(0, len(data), size)]
        for offset, piece in enumerate(pieces):
            sectors.append(piece.ljust(size, b"\0"))
            fat[first + offset] = first + offset + 1 if offset < len(pieces) - 1 else _END
        return first

    mini = bytearray()
    mini_fat: list[int] = []
    for entry in entries[1:]:
        data = entry["node"]
        if entry["type"] != 2:
            entry["start"], entry["size"] = 0, 0
        elif len(data) >= 4096:
            entry["start"], entry["size"] = chain(data, 512), len(data)
        elif data:
            first, count = len(mini) // 64, (len(data) + 63) // 64
            mini += data.ljust(count * 64, b"\0")
            mini_fat += [first + n + 1 for n in range(count - 1)] + [_END]
            entry["start"], entry["size"] = first, len(data)
        else:
            entry["start"], entry["size"] = _END, 0
    entries[0]["start"], entries[0]["size"] = chain(bytes(mini), 512), len(mini)
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    mini_fat_bytes += b"\xff" * (-len(mini_fat_bytes) % 512)
    mini_fat_start = chain(mini_fat_bytes, 512) if mini_fat else _END
    directory = b"".join(_directory_entry(entry) for entry in entries)
    directory += _directory_entry(None) * (-len(entries) % 4)
    directory_start = chain(directory, 512)
    fat_count = 1
    while (len(sectors) + fat_count) > 128 * fat_count:
        fat_count += 1
    assert fat_count <= 109, "a larger file needs DIFAT sectors"
    fat_start = len(sectors)
    table = [fat.get(n, _FREE) for n in range(fat_start)] + [_FAT] * fat_count
    table += [_FREE] * (128 * fat_count - len(table))
    fat_bytes = struct.pack(f"<{len(table)}I", *table)
    difat = list(range(fat_start, fat_start + fat_count)) + [_FREE] * (109 - fat_count)
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16
              + struct.pack("<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, b"", 0, fat_count, directory_start,
                            0, 4096, mini_fat_start, len(mini_fat_bytes) // 512 if mini_fat else 0, _END, 0)
              + struct.pack("<109I", *difat))
    return header + b"".join(sectors) + fat_bytes


def _balanced(ids: list[int], entries: list[dict[str, Any]]) -> int:
    """The root of a balanced binary tree of sibling entries `ids` (already in CFB order)."""
    if not ids:
        return _NONE
    middle = len(ids) // 2
    root = ids[middle]
    entries[root]["left"] = _balanced(ids[:middle], entries)
    entries[root]["right"] = _balanced(ids[middle + 1:], entries)
    return root


def _directory_entry(entry: dict[str, Any] | None) -> bytes:
    if entry is None:
        return b"\0" * 64 + struct.pack("<HBBIII16sIQQIQ", 0, 0, 0, _NONE, _NONE, _NONE, b"", 0, 0, 0, 0, 0)
    name = entry["name"].encode("utf-16-le") + b"\0\0"
    return name.ljust(64, b"\0") + struct.pack(
        "<HBBIII16sIQQIQ", len(name), entry["type"], 1, entry.get("left", _NONE), entry.get("right", _NONE),
        entry.get("child", _NONE), b"", 0, 0, 0, entry["start"], entry["size"])


def applesingle(name: str, data: bytes) -> bytes:
    """An AppleSingle file (RFC 1740): header, entries for the real name and the data fork."""
    encoded = name.encode("mac-roman")
    first = 26 + 2 * 12
    header = struct.pack(">4sI16sH", b"\x00\x05\x16\x00", 0x00020000, b"", 2)
    entries = struct.pack(">III", 3, first, len(encoded)) + struct.pack(">III", 1, first + len(encoded), len(data))
    return header + entries + encoded + data


_BINHEX_ALPHABET = b"!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"


def binhex(name: str, data: bytes, file_type: bytes = b"PDF ", creator: bytes = b"CARO") -> bytes:
    """A BinHex 4.0 file: header, data fork and an empty resource fork, each with its CRC, run-length
    coded (0x90 escaped, runs of four or more shortened) and written in BinHex's 6-bit characters."""
    encoded = name.encode("mac-roman")
    header = bytes([len(encoded)]) + encoded + b"\0" + file_type + creator + struct.pack(">HII", 0, len(data), 0)
    plain = b""
    for section in (header, data, b""):
        plain += section + struct.pack(">H", binascii.crc_hqx(section + b"\0\0", 0))
    coded = bytearray()
    index = 0
    while index < len(plain):
        byte = plain[index]
        run = 1
        while index + run < len(plain) and plain[index + run] == byte and run < 255:
            run += 1
        coded += b"\x90\x00" if byte == 0x90 else bytes([byte])
        if run >= 4:
            coded += bytes([0x90, run])
        else:
            run = 1
        index += run
    coded += b"\0" * (-len(coded) % 3)
    text = bytearray()
    for start in range(0, len(coded), 3):
        value = int.from_bytes(coded[start:start + 3], "big")
        text += bytes(_BINHEX_ALPHABET[(value >> shift) & 63] for shift in (18, 12, 6, 0))
    lines = b"\r\n".join(bytes(text[i:i + 64]) for i in range(0, len(text), 64))
    return b"(This file must be converted with BinHex 4.0)\r\n\r\n:" + lines + b":\r\n"
