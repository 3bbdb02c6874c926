"""Realistic partner e-mails as raw RFC 5322 bytes (CRLF line ends), to read directly or APPEND to a server.

`email_with_forms` attaches forms in each shape partners' mail programs produce; `forward`
wraps any e-mail as an attached forwarded one (a forward of a forward is `forward(forward(...))`);
`email_without_form` is a plain enquiry. Every builder makes a new Message-ID unless given one
(with or without its angle brackets); a "forwarded" shape gives it to the forwarding e-mail.
"""
from __future__ import annotations

import base64
import io
import quopri
import secrets
import unicodedata
import zipfile
from collections.abc import Sequence
from datetime import datetime, timezone
from email.header import Header
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
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
