"""Read one e-mail: who sent it, its subject and body text, and the attached files that may be forms.

`read_message` never raises on broken or hostile mail: it takes what can be taken and counts
what it could not read in `IncomingMessage.defects`.

Decisions:
- Whether a part is a form candidate is told from its bytes (`parsers.sniff.sniff`: pdf, docx,
  doc, encrypted_office, rtf), never from its file name or MIME type, so forms sent as
  `application/octet-stream`, inline or without a name are all found.
- text/plain and text/html parts that are not `attachment`-disposition files are the body:
  the plain text of each e-mail if it has any, else the text of its HTML (tags stripped, nothing
  fetched). A forwarded e-mail's body follows the outer one's after a marker line.
- Ignored, never listed: images (signature logos), calendar invitations, vCards, signatures and
  delivery reports, by MIME type or by their own magic bytes.
- Any other file sent as an attachment (or with a name) that is not a form is listed with
  `rejected` = "not a PDF or Word document" and its bytes, so nothing a partner meant to send is
  silently dropped. Unnamed inline parts of other types are ignored.
- An attachment over the size limit is listed as rejected with the reason and no data (its
  bytes stay in the raw message); `size` keeps its real size. An e-mail over the message limit
  is not walked at all: `IncomingMessage.rejected` says why and only the headers are read.
- Forwarded e-mails (`message/rfc822`, also when wrongly base64-encoded) are walked up to
  MAX_MESSAGE_DEPTH deep; a deeper one is listed as rejected.
- Zips are opened up to MAX_ZIP_DEPTH deep under one budget per attached zip: the entry count
  (counted from central directory signatures before zipfile builds anything) and the unpacked
  total, checked on the declared sizes first; each entry is then read in chunks and stopped past
  its declared size, so a zip whose sizes lie cannot unpack more than was checked. A zip that breaks the budget or cannot be opened is listed as one rejected
  attachment (its compressed bytes kept); an encrypted, damaged or oversized entry is listed as
  rejected on its own; a zip with nothing listable is listed as rejected so a person sees it.
  Spreadsheets, presentations and OpenDocument files are zips too: they are one file, not an
  archive, and listed as "not a PDF or Word document".
- content_type: the declared MIME type of a part; for a zip entry, the type its bytes show.
- path_in_message: MIME part numbers joined by "/" ("2", "3/2" for part 2 of a forwarded e-mail
  at part 3); a zip entry is the zip's name, then its path inside the zip ("forms.zip/sub/a.pdf",
  "3/forms.zip/a.pdf" inside a forwarded e-mail).
- Odd shapes: Outlook's winmail.dat (TNEF, told by its signature) and an attached Outlook
  `.msg` are opened like zips and their files listed under their name ("winmail.dat/a.pdf",
  "Referral.msg/a.pdf"); an e-mail attached as a file (`.eml`, octet-stream) is read as a
  forwarded one. Each of these counts towards MAX_MESSAGE_DEPTH and is not opened past the
  attachment limit. uuencoded files in a plain-text body are taken out of the body ("1/a.pdf");
  AppleSingle and BinHex files give their data fork, AppleDouble headers are ignored. A file
  part whose Content-Transfer-Encoding is missing or wrong is read as sent when that gives a form.
- S/MIME signed mail (detached or opaque signed-data) gives the forms it carries. Encrypted mail
  (S/MIME enveloped-data, PGP/MIME, inline PGP) cannot be read here: the e-mail's `rejected` says
  so when the whole e-mail is encrypted, else the encrypted part is listed rejected.
- File names: RFC 2231 and encoded-words decoded (the standard library's parser), NFC, directory
  part, control and format characters removed; missing or empty -> `attachment-N.<ext>` from the
  sniffed type, N being the attachment's position in the list.
"""
from __future__ import annotations

import base64
import binascii
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

from intake import apple, outlook_msg, smime, tnef, uuencode
from parsers.sniff import sniff

MB = 1024 * 1024
FORM_KINDS = frozenset({"pdf", "docx", "doc", "encrypted_office", "rtf", "odt"})
MAX_MESSAGE_DEPTH = 5  # forwarded e-mails inside forwarded e-mails
MAX_ZIP_DEPTH = 2  # a zip inside a zip is opened, one level further is not
MAX_PART_LEVELS = 50  # nested multipart levels walked
MAX_RECOVERIES = 5  # multiparts re-parsed after a missing boundary (each re-parse costs a pass)
MAX_BODY_CHARS = 100_000
MAX_BODY_SOURCE_CHARS = 10 * MAX_BODY_CHARS  # of one body part, HTML markup included
MAX_NAME_CHARS = 200
MAX_HEADER_BYTES = 1 * MB  # header block read from an oversized e-mail

NOT_A_FORM = "not a PDF or Word document"
EMPTY = "the attachment is empty"
FORWARD_MARKER = "---------- Forwarded message ----------"

_BODY_TYPES = frozenset({"text/plain", "text/html"})
_IGNORED_TYPES = frozenset({
    "text/calendar", "application/ics", "text/vcard", "text/x-vcard", "text/directory",
    "application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature",
    "application/pgp-keys", "message/delivery-status", "message/disposition-notification",
    "message/feedback-report", "text/rfc822-headers",
})
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")
_CARD_MAGIC = (b"BEGIN:VCALENDAR", b"BEGIN:VCARD")
_EXTENSIONS = {"pdf": "pdf", "docx": "docx", "doc": "doc", "encrypted_office": "doc", "rtf": "rtf", "odt": "odt",
               "zip": "zip", "eml": "eml", "msg": "msg", "tnef": "dat", "p7m": "p7m", "asc": "asc"}
_TYPES = {"pdf": "application/pdf", "doc": "application/msword", "rtf": "application/rtf",
          "encrypted_office": "application/msword", "zip": "application/zip",
          "odt": "application/vnd.oasis.opendocument.text",
          "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
_PKCS7_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
_ENCRYPTED_SMIME = "the e-mail is encrypted (S/MIME); it cannot be read here"
_ENCRYPTED_PGP = "the e-mail is encrypted (PGP); it cannot be read here"
_PGP_ARMOR = "-----BEGIN PGP MESSAGE-----"
_MESSAGE_HEADER = re.compile(rb"^(from|to|subject|date|message-id|received|mime-version|return-path):",
                             re.IGNORECASE | re.MULTILINE)
_HEADER_LINE = re.compile(rb"[!-9;-~]+:")
_BASE64_TEXT = re.compile(rb"[A-Za-z0-9+/=\s]+")
_ZIP_JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_CENTRAL_DIRECTORY = b"PK\x01\x02"
_CHUNK = 64 * 1024
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_TOKEN = r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+"
_ATTRIBUTE = r"[!#$&+\-.0-9A-Z^_`a-z{|}~]+"  # a token without RFC 2231's * ' %
_PARAMETER = rf"{_ATTRIBUTE}[ \t]*=[ \t]*(?:{_ATTRIBUTE}|\"[ !#-\[\]-~]*\")"
# type[/subtype] then ; attribute=value parameters, values as tokens or quoted strings without \ or "
_PLAIN_MIME_VALUE = re.compile(rf"[ \t]*{_TOKEN}(?:/{_TOKEN})?[ \t]*(?:;[ \t]*{_PARAMETER}[ \t]*)*;?[ \t]*")
_PLAIN_MIME_HEADERS = frozenset({"content-type", "content-disposition", "content-transfer-encoding"})
_BOUNDARY_LINE = re.compile(rb"^--([0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?])[ \t]*\r?$",
                            re.MULTILINE)


@dataclass(frozen=True)
class MailLimits:
    """Size limits on one e-mail and on the zips attached to it."""

    max_attachment_bytes: int = 25 * MB  # one attachment, or one file inside a zip
    max_message_bytes: int = 50 * MB  # the raw e-mail
    max_zip_entries: int = 500  # entries in one attached zip, nested zips included
    max_zip_bytes: int = 50 * MB  # unpacked from one attached zip, nested zips included


@dataclass
class Attachment:
    """A file taken from an e-mail: a form candidate, or a file listed with the reason it is not read.

    `size` is the file's size as sent; it equals len(data) unless the data was not kept.
    """

    filename: str
    data: bytes
    content_type: str
    path_in_message: str
    rejected: str | None = None
    size: int | None = None

    def __post_init__(self) -> None:
        if self.size is None:
            self.size = len(self.data)


@dataclass
class IncomingMessage:
    """What intake needs from one e-mail."""

    message_id: str | None
    sender: str
    subject: str
    date: datetime | None
    body_text: str
    attachments: list[Attachment] = field(default_factory=list)
    rejected: str | None = None  # why the e-mail was not walked (too large, unreadable)
    defects: int = 0  # MIME defects met (bad base64, missing boundaries, unreadable parts)


def read_message(raw: bytes, limits: MailLimits = MailLimits()) -> IncomingMessage:
    """Read `raw` (an RFC 5322 message) under `limits`; never raises on broken mail."""
    if len(raw) > limits.max_message_bytes:
        limit = _size_text(limits.max_message_bytes)
        return _headers_only(raw, f"the e-mail is larger than the {limit} limit")
    try:
        message = _parse(raw)
    except RecursionError:
        return _headers_only(raw, "the e-mail's parts are nested too deeply to read")
    except Exception:  # the parser is lenient; anything it still raises means unreadable mail
        return _headers_only(raw, "the e-mail could not be read")
    reader = _Reader(limits)
    reader.message(message, "", 0, 0)
    envelope = _Envelope(message)
    return IncomingMessage(
        message_id=envelope.message_id(),
        sender=envelope.sender(),
        subject=envelope.subject(),
        date=envelope.date(),
        body_text=reader.body_text(),
        attachments=reader.attachments,
        rejected=reader.rejected,
        defects=reader.defects + envelope.defects,
    )


class _MimePolicy(policy.Compat32):
    """Header values as policy.default gives them, without its cost for plain MIME headers.

    policy.default parses a header into an object on every read, and the parser and the walk read
    Content-Type, Content-Disposition and Content-Transfer-Encoding many times per part. One made
    of tokens and plain quoted strings only (no comments, escapes, encoded-words, RFC 2231
    parameters or 8-bit bytes) gives the same type, disposition, encoding and parameters from its
    own text, so that text is used, unfolded as policy.default unfolds it. Every other header is
    read by policy.default.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:
        unfolded = value.replace("\r", "").replace("\n", "")
        if (name.lower() in _PLAIN_MIME_HEADERS and "=?" not in unfolded
                and _PLAIN_MIME_VALUE.fullmatch(unfolded)):
            return unfolded
        return policy.default.header_fetch_parse(name, value)


_MIME_POLICY = _MimePolicy()


def _parse(raw: bytes) -> Message:
    return BytesParser(policy=_MIME_POLICY).parsebytes(raw)


def _headers_only(raw: bytes, reason: str) -> IncomingMessage:
    """The envelope of an e-mail whose body is not read."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    head = raw[: min(min(ends, default=MAX_HEADER_BYTES), MAX_HEADER_BYTES)]
    try:
        envelope = _Envelope(BytesParser(policy=policy.default).parsebytes(head, headersonly=True))
    except Exception:  # see read_message
        return IncomingMessage(None, "", "", None, "", rejected=reason, defects=1)
    return IncomingMessage(
        message_id=envelope.message_id(), sender=envelope.sender(), subject=envelope.subject(),
        date=envelope.date(), body_text="", rejected=reason, defects=envelope.defects,
    )


class _Envelope:
    """The headers of one message, each read defensively (header parsing is lazy and can fail)."""

    def __init__(self, message: Message) -> None:
        self._message = message
        self.defects = 0

    def _header(self, name: str) -> object | None:
        try:
            value = self._message.get(name)
        except Exception:  # a hostile header the structured parser cannot take
            self.defects += 1
            return None
        self.defects += len(getattr(value, "defects", ()))
        return value

    def _raw(self, name: str) -> str:
        """The header's raw value, encoded-words decoded when possible."""
        for key, value in self._message.raw_items():
            if key.lower() == name:
                try:
                    return str(make_header(decode_header(value)))
                except Exception:  # a malformed encoded-word: keep the text as written
                    return str(value)
        return ""

    def _text(self, name: str) -> str:
        value = self._header(name)
        return _clean_text(str(value) if value is not None else self._raw(name))

    def message_id(self) -> str | None:
        text = self._text("message-id").strip()
        match = _MESSAGE_ID.search(text)
        if match:
            return match.group(1)
        return text if text and not any(c.isspace() for c in text) else None

    def sender(self) -> str:
        header = self._header("from")
        for address in getattr(header, "addresses", ()):
            if address.addr_spec and "@" in address.addr_spec:
                return _clean_text(address.addr_spec).lower()
        return _clean_text(parseaddr(self._raw("from"))[1]).lower()

    def subject(self) -> str:
        return " ".join(self._text("subject").split())

    def date(self) -> datetime | None:
        header = self._header("date")
        when = getattr(header, "datetime", None)
        if when is None:
            try:
                when = parsedate_to_datetime(self._raw("date"))
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
        return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


@dataclass
class _Body:
    """The body parts of one (possibly forwarded) e-mail."""

    heading: str
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)

    def text(self) -> str:
        if self.plain:
            return _tidy("\n".join(self.plain), collapse=False)
        return _tidy("\n".join(_html_text(h) for h in self.html), collapse=True)


@dataclass
class _ZipBudget:
    """What is left to unpack from one attached zip and the zips inside it."""

    entries: int
    bytes: int


class _ZipRejected(Exception):
    """A whole zip is not opened; the message is the reason in plain words."""


class _Reader:
    """Walks one e-mail's MIME tree, collecting attachments and body text.

    `level` counts nested MIME parts; `depth` counts forwarded e-mails; `message_path` is the
    MIME path of the (forwarded) e-mail being walked, "" for the outer one.
    """

    def __init__(self, limits: MailLimits) -> None:
        self.limits = limits
        self.attachments: list[Attachment] = []
        self.defects = 0
        self.rejected: str | None = None  # set when the e-mail itself is encrypted
        self._bodies: list[_Body] = []
        self._body = _Body("")
        self._recoveries = 0

    def body_text(self) -> str:
        """The body of the e-mail, then of each forwarded one, within MAX_BODY_CHARS."""
        texts: list[str] = []
        for body in self._bodies:
            text = body.text()
            if body.heading:
                texts.append(f"{FORWARD_MARKER}\n{body.heading}\n\n{text}".rstrip())
            elif text:
                texts.append(text)
        return "\n\n".join(texts)[:MAX_BODY_CHARS]

    def message(self, message: Message, message_path: str, level: int, depth: int) -> None:
        """One e-mail: the outer one, or a forwarded one at MIME `message_path`."""
        outer = self._body
        self._body = _Body(self._heading(message) if depth else "")
        self._bodies.append(self._body)
        try:
            container = message.get_content_maintype() == "multipart"
        except Exception:  # an unreadable Content-Type: _entity counts it
            container = False
        path = message_path if container else _join(message_path, "1")
        self._entity(message, path, level, depth, message_path)
        self._body = outer

    def _heading(self, message: Message) -> str:
        envelope = _Envelope(message)
        heading = f"From: {envelope.sender()}\nSubject: {envelope.subject()}"
        self.defects += envelope.defects
        return heading

    def _children(self, parts: list[Message], path: str, level: int, depth: int,
                  message_path: str) -> None:
        for number, child in enumerate(parts, 1):
            self._entity(child, _join(path, str(number)), level + 1, depth, message_path)

    def _entity(self, part: Message, path: str, level: int, depth: int, message_path: str) -> None:
        """One MIME part: a container, a forwarded e-mail, a body part or a file."""
        if level > MAX_PART_LEVELS:
            self.defects += 1
            return
        try:
            content_type = part.get_content_type()
            if content_type == "message/rfc822":
                self._forwarded(part, path, level, depth)
            elif content_type == "multipart/encrypted":
                self._encrypted(_ENCRYPTED_PGP, self._payload(part), part.get_filename(),
                                content_type, path, whole=depth == 0 and level == 0)
            elif part.get_content_maintype() == "multipart":
                payload = part.get_payload()
                if isinstance(payload, list):
                    self._children(payload, path, level, depth, message_path)
                else:
                    self._recover_multipart(part, path, level, depth, message_path)
            else:
                self._leaf(part, content_type, path, message_path, level, depth)
        except Exception:  # a part broken in a way the email package did not anticipate
            self.defects += 1
        self.defects += len(part.defects)  # decoding adds to them: count last

    def _forwarded(self, part: Message, path: str, level: int, depth: int) -> None:
        if depth >= MAX_MESSAGE_DEPTH:
            self._add(self._generated_name("eml"), b"", "message/rfc822", path,
                      rejected=f"forwarded e-mails are read only {MAX_MESSAGE_DEPTH} levels deep")
            return
        payload = part.get_payload()
        encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
        if encoding in ("base64", "quoted-printable"):
            # Not allowed by RFC 2046 but sent: the parser took the encoded text for a message.
            encoded = payload[0].get_payload() if isinstance(payload, list) and payload else payload
            carrier = Message()
            carrier["Content-Transfer-Encoding"] = encoding
            carrier.set_payload(encoded if isinstance(encoded, str) else "")
            inner = _parse(self._payload(carrier))
        elif isinstance(payload, list) and payload:
            inner = payload[0]
        else:
            self.defects += 1
            return
        self.message(inner, path, level + 1, depth + 1)

    def _recover_multipart(self, part: Message, path: str, level: int, depth: int,
                           message_path: str) -> None:
        """A multipart whose boundary is missing or wrong: retry with the first delimiter line found."""
        data = self._payload(part)
        match = _BOUNDARY_LINE.search(data)
        self._recoveries += 1
        if match is None or self._recoveries > MAX_RECOVERIES:
            self.defects += 1
            return
        boundary = match.group(1).decode("ascii")
        header = f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode("ascii")
        payload = _parse(header + data).get_payload()
        if isinstance(payload, list):
            self._children(payload, path, level, depth, message_path)
        else:
            self.defects += 1

    def _leaf(self, part: Message, content_type: str, path: str, message_path: str, level: int,
              depth: int) -> None:
        disposition = part.get_content_disposition()
        if content_type in _BODY_TYPES and disposition != "attachment":
            text = _decode_text(self._payload(part), part.get_content_charset())
            if content_type == "text/plain":
                text = self._body_files(text, path, level, depth)
            text = text[:MAX_BODY_SOURCE_CHARS]
            (self._body.plain if content_type == "text/plain" else self._body.html).append(text)
            return
        name = _clean_name(part.get_filename())
        data = self._file_bytes(part)
        if content_type in _PKCS7_TYPES or (name or "").lower().endswith(".p7m"):
            self._pkcs7(part, name, data, content_type, path, message_path, level, depth)
            return
        listed = disposition == "attachment" or name is not None
        self._file(name, data, content_type, path, message_path, listed, level, depth)

    def _file(self, name: str | None, data: bytes, content_type: str, path: str, message_path: str,
              listed: bool, level: int, depth: int) -> None:
        """One file: a form, a container to open (zip, winmail.dat, .msg, .eml, Macintosh file),
        or another file, listed as not a form when `listed` (sent as a file, or named)."""
        if data.startswith(apple.APPLESINGLE_MAGIC) or apple.is_binhex(data):
            self._apple(name, data, content_type, path, message_path, listed, level, depth)
            return
        if tnef.is_tnef(data):  # before sniffing: a form inside may start within its first bytes
            self._tnef(name or self._generated_name("tnef"), data, content_type, path, message_path,
                       level, depth)
            return
        if data.startswith(outlook_msg.OLE_MAGIC) and (
                (name or "").lower().endswith(".msg") or outlook_msg.is_outlook_msg(data)):
            self._msg(name or self._generated_name("msg"), data, content_type, path, message_path,
                      level, depth)
            return
        kind = sniff(data)
        if kind == "zip":
            self._zip(data, name, content_type, path, message_path)
        elif kind in FORM_KINDS:
            self._add(name or self._generated_name(kind), data, content_type, path)
        elif _looks_like_message(data, name):
            self._attached_email(name, data, content_type, path, level, depth)
        elif listed and not _ignored(content_type, data) and not data.startswith(apple.APPLEDOUBLE_MAGIC):
            self._add(name or self._generated_name(kind), data, content_type, path,
                      rejected=EMPTY if kind == "empty" else NOT_A_FORM)

    def _file_bytes(self, part: Message) -> bytes:
        """A file part's bytes, also when its Content-Transfer-Encoding is missing or wrong: base64
        text sent as 7bit, or binary bytes declared base64 or quoted-printable."""
        data = self._payload(part)
        if _worth_reading(data):
            return data
        # The payload as received: get_payload() would replace the bytes that are not ASCII.
        raw = part._payload  # noqa: SLF001
        raw = raw.encode("ascii", "surrogateescape") if isinstance(raw, str) else b""
        if _worth_reading(raw):
            return raw
        if raw and _BASE64_TEXT.fullmatch(raw[:4096]):
            try:
                decoded = base64.b64decode(b"".join(raw.split()), validate=False)
            except (binascii.Error, ValueError):
                return data
            if _worth_reading(decoded):
                return decoded
        return data

    def _body_files(self, text: str, path: str, level: int, depth: int) -> str:
        """A plain-text body: its uuencoded files are taken out; an inline PGP message is noted."""
        if uuencode.has_blocks(text):
            text, files = uuencode.take_files(text)
            for file in files:
                name = _clean_name(file.name)
                self._file(name, file.data, "application/octet-stream", _join(path, name or "file"),
                           path, True, level, depth)
        if _PGP_ARMOR in text[:MAX_BODY_SOURCE_CHARS]:
            self._encrypted(_ENCRYPTED_PGP, text.encode("utf-8"), None, "text/plain", path,
                            whole=depth == 0)
        return text

    def _encrypted(self, reason: str, data: bytes, name: str | None, content_type: str, path: str,
                   whole: bool) -> None:
        """An encrypted e-mail (`whole`) is rejected; an encrypted part is listed as rejected."""
        if whole:
            self.rejected = self.rejected or reason
        else:
            extension = "p7m" if "S/MIME" in reason else "asc"
            self._add(_clean_name(name) or self._generated_name(extension), data, content_type, path,
                      rejected=reason)

    def _pkcs7(self, part: Message, name: str | None, data: bytes, content_type: str, path: str,
               message_path: str, level: int, depth: int) -> None:
        """An S/MIME part: signed content is walked, encrypted content cannot be read."""
        declared = str(part.get_param("smime-type", "") or "").lower()
        opened = smime.open_pkcs7(data)
        if opened.kind == "signed" and opened.content is not None:
            self._entity(_parse(opened.content), path, level + 1, depth, message_path)
        elif opened.kind == "encrypted" or "enveloped" in declared:
            self._encrypted(_ENCRYPTED_SMIME, data, name, content_type, path,
                            whole=depth == 0 and level == 0)
        elif opened.kind == "damaged":
            self._add(name or self._generated_name("p7m"), data, content_type, path,
                      rejected="the signed e-mail (S/MIME) is damaged and cannot be read")

    def _refused(self, name: str, data: bytes, content_type: str, path: str, depth: int) -> bool:
        """List an attached e-mail or container over the attachment limit, or past
        MAX_MESSAGE_DEPTH, as rejected (and not open it)."""
        if len(data) > self.limits.max_attachment_bytes:
            self._add(name, data, content_type, path)
        elif depth >= MAX_MESSAGE_DEPTH:
            self._add(name, data, content_type, path,
                      rejected=f"forwarded e-mails are read only {MAX_MESSAGE_DEPTH} levels deep")
        else:
            return False
        return True

    def _attached_email(self, name: str | None, data: bytes, content_type: str, path: str, level: int,
                        depth: int) -> None:
        """An e-mail attached as a file (`.eml`, application/octet-stream): read as a forwarded one."""
        if not self._refused(name or self._generated_name("eml"), data, content_type, path, depth):
            self.message(_parse(data), path, level + 1, depth + 1)

    def _tnef(self, name: str, data: bytes, content_type: str, path: str, message_path: str,
              level: int, depth: int) -> None:
        """Outlook's winmail.dat: the files inside it; a stream holding none adds nothing."""
        if self._refused(name, data, content_type, path, depth):
            return
        try:
            files = tnef.read_tnef(data)
        except tnef.TnefError as error:
            self._add(name, data, content_type, path, rejected=str(error))
            return
        prefix = _join(message_path, name)
        for file in files:
            inner = _clean_name(file.name) or self._generated_name(sniff(file.data))
            self._file(inner, file.data, "application/octet-stream", _join(prefix, inner), prefix,
                       True, level + 1, depth + 1)

    def _msg(self, name: str, data: bytes, content_type: str, path: str, message_path: str,
             level: int, depth: int) -> None:
        """An attached Outlook .msg: its attachments (and those of e-mails attached to it)."""
        if self._refused(name, data, content_type, path, depth):
            return
        mark = len(self.attachments)
        try:
            files = outlook_msg.read_msg(data, MAX_MESSAGE_DEPTH - depth)
        except outlook_msg.MsgError as error:
            self._add(name, data, content_type, path, rejected=str(error))
            return
        prefix = _join(message_path, name)
        for file in files:
            folder = "/".join([prefix, *(_clean_name(f) or "e-mail.msg" for f in file.folders)])
            inner = _clean_name(file.name) or self._generated_name("unknown")
            if file.deep:
                self._add(inner, b"", "application/vnd.ms-outlook", _join(folder, inner),
                          rejected=f"forwarded e-mails are read only {MAX_MESSAGE_DEPTH} levels deep")
            else:
                self._file(inner, file.data, "application/octet-stream", _join(folder, inner), folder,
                           True, level + 1, depth + 1 + len(file.folders))
        if len(self.attachments) == mark:
            self._add(name, data, content_type, path, rejected=NOT_A_FORM)

    def _apple(self, name: str | None, data: bytes, content_type: str, path: str, message_path: str,
               listed: bool, level: int, depth: int) -> None:
        """A Macintosh file (AppleSingle or BinHex): its data fork is the file."""
        try:
            if data.startswith(apple.APPLESINGLE_MAGIC):
                real_name, fork = apple.applesingle_data_fork(data)
            else:
                real_name, fork = apple.binhex_data_fork(data, self.limits.max_attachment_bytes)
        except apple.AppleError as error:
            self._add(name or self._generated_name("unknown"), data, content_type, path, rejected=str(error))
            return
        self._file(_clean_name(real_name) or name, fork, content_type, path, message_path, listed,
                   level, depth)

    def _payload(self, part: Message) -> bytes:
        """The decoded bytes of a part; bad base64 and the like are decoded as far as possible."""
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            return data
        self.defects += 1
        return b""

    def _generated_name(self, kind: str) -> str:
        return f"attachment-{len(self.attachments) + 1}.{_EXTENSIONS.get(kind, 'bin')}"

    def _add(self, name: str, data: bytes, content_type: str, path: str,
             rejected: str | None = None, size: int | None = None) -> None:
        """List a file; one over the attachment limit is listed without its data."""
        if len(data) > self.limits.max_attachment_bytes:
            self.attachments.append(Attachment(name, b"", content_type, path, self._too_large(),
                                               size=len(data)))
        else:
            self.attachments.append(Attachment(name, data, content_type, path, rejected, size))

    def _too_large(self) -> str:
        return f"the attachment is larger than the {_size_text(self.limits.max_attachment_bytes)} limit"

    def _zip(self, data: bytes, name: str | None, content_type: str, path: str,
             message_path: str) -> None:
        """List the files of an attached zip, or the zip itself as rejected with the reason."""
        name = name or self._generated_name("zip")
        if len(data) > self.limits.max_attachment_bytes:
            self._add(name, data, content_type, path)
            return
        mark = len(self.attachments)
        budget = _ZipBudget(self.limits.max_zip_entries, self.limits.max_zip_bytes)
        try:
            archive = self._open_zip(data, budget)
            if _office_package(archive):
                self._add(name, data, content_type, path, rejected=NOT_A_FORM)
                return
            self._unzip(archive, _join(message_path, name), 1, budget)
        except _ZipRejected as error:
            del self.attachments[mark:]
            self._add(name, data, content_type, path, rejected=str(error))
            return
        if len(self.attachments) == mark:
            self._add(name, data, content_type, path,
                      rejected="the zip file holds no PDF or Word document")

    def _open_zip(self, data: bytes, budget: _ZipBudget) -> zipfile.ZipFile:
        """The zip, its entries charged to `budget`; _ZipRejected when it breaks it or is damaged."""
        # Entries are counted from their signatures before zipfile builds an object for each.
        budget.entries -= data.count(_CENTRAL_DIRECTORY)
        if budget.entries < 0:
            raise _ZipRejected(f"the zip file holds more than {self.limits.max_zip_entries} files")
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except Exception:  # zipfile raises many types on damaged bytes
            raise _ZipRejected("the zip file is damaged and cannot be opened") from None
        if sum(info.file_size for info in archive.infolist()) > budget.bytes:
            raise self._zip_too_large()
        return archive

    def _unzip(self, archive: zipfile.ZipFile, prefix: str, depth: int, budget: _ZipBudget) -> None:
        with archive:
            for info in archive.infolist():
                if not info.is_dir() and not _zip_junk(info.filename):
                    self._zip_entry(archive, info, prefix, depth, budget)

    def _zip_too_large(self) -> _ZipRejected:
        limit = _size_text(self.limits.max_zip_bytes)
        return _ZipRejected(f"the zip file unpacks to more than the {limit} limit")

    def _zip_entry(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, prefix: str,
                   depth: int, budget: _ZipBudget) -> None:
        path = _join(prefix, _clean_path(info.filename))
        name = _clean_name(info.filename) or self._generated_name("unknown")
        if info.flag_bits & 0x1:
            self._add(name, b"", "application/octet-stream", path,
                      rejected="the file in the zip is password-protected")
            return
        if info.file_size > self.limits.max_attachment_bytes:
            self._add(name, b"", "application/octet-stream", path, self._too_large(),
                      size=info.file_size)
            return
        data = self._read_entry(archive, info, budget)
        if data is None:
            self._add(name, b"", "application/octet-stream", path,
                      rejected="the file in the zip is damaged")
            return
        kind = sniff(data)
        content_type = _TYPES.get(kind, "application/octet-stream")
        if kind in FORM_KINDS:
            self._add(name, data, content_type, path)
        elif kind == "zip" and depth < MAX_ZIP_DEPTH:
            inner = self._open_zip(data, budget)
            if _office_package(inner):
                self._add(name, data, content_type, path, rejected=NOT_A_FORM)
            else:
                self._unzip(inner, path, depth + 1, budget)
        elif kind == "zip":
            self._add(name, data, content_type, path,
                      rejected=f"zip files inside zip files are opened only {MAX_ZIP_DEPTH} levels deep")
        elif not _ignored("", data):
            self._add(name, data, content_type, path, rejected=EMPTY if kind == "empty" else NOT_A_FORM)

    def _read_entry(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                    budget: _ZipBudget) -> bytes | None:
        """The entry's bytes, read in chunks and stopped past its declared size (which the
        limits were checked against); None when it is damaged."""
        chunks: list[bytes] = []
        size = 0
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > info.file_size:
                        raise _ZipRejected("the zip file is damaged: a file in it unpacks to more "
                                           "than its stated size")
                    chunks.append(chunk)
        except _ZipRejected:
            raise
        except Exception:  # bad CRC, bad compressed data, unsupported method, truncation
            return None
        budget.bytes -= size
        return b"".join(chunks)


class _HtmlText(HTMLParser):
    """The visible text of an HTML body, with a line break at each block."""

    _BLOCKS = frozenset({"address", "blockquote", "br", "dd", "div", "dl", "dt", "h1", "h2", "h3",
                         "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "section", "table", "td",
                         "th", "tr", "ul"})
    _HIDDEN = frozenset({"script", "style", "title", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; keep what it read before giving up
        pass
    return "".join(parser.parts)


def _decode_text(data: bytes, charset: str | None) -> str:
    """Bytes as text: the declared charset, else UTF-8, else Windows-1252 with replacements."""
    for candidate in (charset, "utf-8"):
        if candidate:
            try:
                return data.decode(candidate)
            except (LookupError, UnicodeDecodeError):
                continue
    return data.decode("cp1252", errors="replace")


def _tidy(text: str, collapse: bool) -> str:
    """Body text: newlines normalised, trailing (or, with `collapse`, all repeated) spaces removed,
    runs of blank lines cut to one."""
    lines = _clean_text(text, keep="\n\t").splitlines()
    tidy = "\n".join(" ".join(line.split()) if collapse else line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", tidy).strip()


def _clean_text(text: str, keep: str = "") -> str:
    """`text` without control and format characters (bar those in `keep`), NFC."""
    text = unicodedata.normalize("NFC", text)
    return "".join(c for c in text if c in keep or unicodedata.category(c) not in ("Cc", "Cf"))


def _clean_name(name: str | None) -> str | None:
    """A file name fit to show and store: NFC, no directory part or control characters."""
    if not name:
        return None
    base = re.split(r"[/\\]", _clean_text(name))[-1].strip()
    if base in ("", ".", ".."):
        return None
    if len(base) > MAX_NAME_CHARS:
        stem, dot, ext = base.rpartition(".")
        keep = ext[:10] if dot else ""
        base = (stem if dot else base)[: MAX_NAME_CHARS - len(keep) - 1] + ("." + keep if keep else "")
    return base


def _clean_path(name: str) -> str:
    """A path inside a zip without empty, "." or ".." components or control characters."""
    parts = [p.strip() for p in re.split(r"[/\\]", _clean_text(name))]
    return "/".join(p for p in parts if p not in ("", ".", ".."))


def _worth_reading(data: bytes) -> bool:
    """Whether bytes are a file this reader takes (a form, zip, winmail.dat or OLE2 file)."""
    return (sniff(data) in FORM_KINDS | {"zip"} or tnef.is_tnef(data)
            or data.startswith(outlook_msg.OLE_MAGIC))


def _looks_like_message(data: bytes, name: str | None) -> bool:
    """Whether a file is an e-mail: it opens with a header line and has the headers of one (two of
    From, To, Subject, Date, Message-ID, ...; one is enough for a file named `.eml`)."""
    head = data[:4096]
    if not _HEADER_LINE.match(head):
        return False
    head = head.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    found = {m.group(1).lower() for m in _MESSAGE_HEADER.finditer(head)}
    return len(found) >= (1 if (name or "").lower().endswith(".eml") else 2)


def _office_package(archive: zipfile.ZipFile) -> bool:
    """A spreadsheet, presentation or OpenDocument file: a zip, but one file, not an archive."""
    names = set(archive.namelist())
    return "[Content_Types].xml" in names or "mimetype" in names


def _zip_junk(name: str) -> bool:
    """Files archivers add on their own (macOS resource forks, folder thumbnails)."""
    base = name.rstrip("/").rsplit("/", 1)[-1]
    return name.startswith("__MACOSX/") or base.startswith("._") or base in _ZIP_JUNK


def _ignored(content_type: str, data: bytes) -> bool:
    """Images, calendar invitations, vCards, signatures and reports: never forms, never listed."""
    if content_type.startswith("image/") or content_type in _IGNORED_TYPES:
        return True
    return (data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
            or data[:32].lstrip().upper().startswith(_CARD_MAGIC))


def _join(path: str, part: str) -> str:
    return f"{path}/{part}" if path else part


def _size_text(size: int) -> str:
    """A byte count in words: "25 MB", "1.5 MB", "64 KB", "900 bytes"."""
    for unit, scale in (("MB", MB), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"
