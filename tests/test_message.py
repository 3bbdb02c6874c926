"""Reading partner e-mails: envelope, body text and the forms attached in every shape mail programs use."""
from __future__ import annotations

import base64
import io
import random
import struct
import tracemalloc
import unicodedata
import zipfile
import zlib
from datetime import datetime, timedelta, timezone

import pytest

from intake.message import MAX_MESSAGE_DEPTH, NOT_A_FORM, Attachment, MailLimits, read_message
from mail_samples import EXTRAS, example_form, email_with_forms, email_without_form, forward

PDF = example_form("v3-pdf-form.pdf")
DOCX = example_form("v3-docx-template.docx")
DOC = example_form("v3-doc.doc")
LIMITS = MailLimits()
MB = 1024 * 1024


def forms_of(raw: bytes, limits: MailLimits = LIMITS) -> list[Attachment]:
    """The attachments of `raw` that are form candidates."""
    return [a for a in read_message(raw, limits).attachments if a.rejected is None]


def zipped(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def raw_mail(*parts: str, headers: str = "") -> bytes:
    """A hand-written multipart/mixed e-mail with boundary "b" around `parts`."""
    head = ("From: Partner <partner@oakfield.sch.uk>\r\nTo: cpi@police.example\r\nSubject: Form\r\n"
            "Message-ID: <raw-1@oakfield.sch.uk>\r\nMIME-Version: 1.0\r\n" + headers
            + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n')
    body = "".join(f"--b\r\n{part}\r\n" for part in parts) + "--b--\r\n"
    return (head + body).encode("utf-8")


def b64(data: bytes) -> str:
    text = base64.b64encode(data).decode("ascii")
    return "\r\n".join(text[i:i + 76] for i in range(0, len(text), 76))


# --- the envelope -------------------------------------------------------------------------------

def test_envelope_sender_subject_message_id_and_date():
    raw = email_with_forms([("form.pdf", PDF)], sender='"Smith, Jo" <Jo.Smith@Oakfield.SCH.uk>',
                           subject="CPI form – élève", message_id="<Form-42@oakfield.sch.uk>",
                           date=datetime(2026, 3, 3, 9, 30, tzinfo=timezone(timedelta(hours=1))))
    message = read_message(raw, LIMITS)
    assert message.sender == "jo.smith@oakfield.sch.uk"
    assert message.subject == "CPI form – élève"
    assert message.message_id == "Form-42@oakfield.sch.uk"
    assert message.date == datetime(2026, 3, 3, 8, 30, tzinfo=timezone.utc)
    assert message.date.tzinfo is not None
    assert message.rejected is None and message.defects == 0


@pytest.mark.parametrize("date, expected", [
    ("Tue, 3 Mar 2026 10:00:00 -0000", datetime(2026, 3, 3, 10, tzinfo=timezone.utc)),
    ("not a date at all", None),
    (None, None),
])
def test_a_missing_or_bad_date_is_none_and_an_unknown_zone_is_utc(date, expected):
    headers = f"Date: {date}\r\n" if date else ""
    message = read_message(raw_mail("Content-Type: text/plain\r\n\r\nHello", headers=headers), LIMITS)
    assert message.date == expected


def test_missing_headers_give_empty_values():
    message = read_message(b"Content-Type: text/plain\r\n\r\nJust text\r\n", LIMITS)
    assert (message.sender, message.subject, message.message_id, message.date) == ("", "", None, None)
    assert message.body_text == "Just text"


# --- forms in every shape -----------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["attachment", "octet-stream", "inline", "rfc2231", "encoded-word"])
def test_forms_are_found_by_their_bytes_whatever_the_mime_shape(shape):
    forms = forms_of(email_with_forms([("cpi.pdf", PDF), ("cpi.docx", DOCX), ("cpi.doc", DOC)], shape=shape))
    assert [(a.filename, a.data, a.path_in_message) for a in forms] == [
        ("cpi.pdf", PDF, "2"), ("cpi.docx", DOCX, "3"), ("cpi.doc", DOC, "4")]
    assert all(a.size == len(a.data) for a in forms)


def test_the_declared_mime_type_is_kept_but_not_trusted():
    octet, = forms_of(email_with_forms([("cpi.pdf", PDF)], shape="octet-stream"))
    assert octet.content_type == "application/octet-stream"
    lying, = forms_of(email_with_forms([("photo.jpg", PDF)]))  # a PDF named and typed as something else
    assert (lying.filename, lying.data) == ("photo.jpg", PDF)


def test_a_form_without_a_name_gets_one_from_its_type():
    forms = forms_of(email_with_forms([("x.pdf", PDF), ("x.docx", DOCX), ("x.doc", DOC)], shape="no-filename"))
    assert [a.filename for a in forms] == ["attachment-1.pdf", "attachment-2.docx", "attachment-3.doc"]
    assert [a.data for a in forms] == [PDF, DOCX, DOC]


def test_a_form_that_is_the_whole_message_body():
    raw = (b"From: p@oakfield.sch.uk\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + b64(PDF).encode("ascii"))
    form, = forms_of(raw)
    assert (form.filename, form.path_in_message, form.data) == ("attachment-1.pdf", "1", PDF)


@pytest.mark.parametrize("shape", ["attachment", "rfc2231", "encoded-word", "nfd"])
def test_non_ascii_names_are_decoded_and_nfc(shape):
    name = "Référence élève – formulaire de partenariat communautaire pour l'école Saint-Exupéry.docx"
    form, = forms_of(email_with_forms([(name, DOCX)], shape=shape))
    assert form.filename == unicodedata.normalize("NFC", name)
    assert unicodedata.is_normalized("NFC", form.filename)


@pytest.mark.parametrize("headers, name, content_type", [
    ('Content-Type: Application/PDF ; name = "cpi.pdf" (scanned)', "cpi.pdf", "application/pdf"),
    ('Content-Type: application/octet-stream; name="=?UTF-8?B?UsOpZsOpcmVuY2UucGRm?="', "Référence.pdf",
     "application/octet-stream"),
    ('Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n'
     ' filename="=?UTF-8?Q?R=C3=A9f=C3=A9rence?= =?UTF-8?Q?_=C3=A9l=C3=A8ve.pdf?="',
     "Référence élève.pdf", "application/pdf"),
    ('Content-Type: application/pdf\r\nContent-Disposition: attachment; filename="Référence élève.pdf"',
     "Référence élève.pdf", "application/pdf"),  # raw UTF-8 bytes, not encoded
])
def test_names_and_types_however_the_headers_spell_them(headers, name, content_type):
    form, = forms_of(raw_mail(f"{headers}\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64(PDF)}"))
    assert (form.filename, form.content_type, form.data) == (name, content_type, PDF)


def test_an_nfd_name_really_is_sent_decomposed():
    raw = email_with_forms([("é.pdf", PDF)], shape="nfd")
    assert "e%CC%81.pdf" in raw.decode("ascii")


def test_names_lose_directories_and_control_characters():
    part = ('Content-Type: application/octet-stream\r\n'
            'Content-Disposition: attachment; filename="..\\\\..\\\\windows/evil\x07\u202eform.pdf"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{b64(PDF)}")
    dots = ('Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=".."\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{b64(PDF)}")
    forms = forms_of(raw_mail(part, dots))
    assert [a.filename for a in forms] == ["evilform.pdf", "attachment-2.pdf"]


def test_a_very_long_name_is_shortened_keeping_its_extension():
    form, = forms_of(email_with_forms([("a" * 400 + ".pdf", PDF)]))
    assert len(form.filename) <= 200 and form.filename.endswith(".pdf")


def test_several_forms_in_one_email_each_listed_in_order():
    files = [(f"cpi-{n}.pdf", PDF) for n in range(3)] + [("cpi-3.docx", DOCX)]
    forms = forms_of(email_with_forms(files))
    assert [a.filename for a in forms] == ["cpi-0.pdf", "cpi-1.pdf", "cpi-2.pdf", "cpi-3.docx"]
    assert [a.path_in_message for a in forms] == ["2", "3", "4", "5"]


# --- forwarded e-mails --------------------------------------------------------------------------

def test_a_form_in_a_forwarded_email():
    raw = email_with_forms([("cpi.pdf", PDF)], shape="forwarded", subject="Concern")
    message = read_message(raw, LIMITS)
    assert message.sender == "duty.sergeant@police.example"
    assert message.subject == "Fwd: Concern"
    form, = message.attachments
    assert (form.filename, form.data, form.path_in_message) == ("cpi.pdf", PDF, "2/2")
    assert message.body_text.startswith("Forwarding the e-mail below")
    assert "From: safeguarding@oakfield.sch.uk\nSubject: Concern" in message.body_text
    assert "Please find attached our CPI form" in message.body_text


def test_a_forward_of_a_forward():
    raw = forward(email_with_forms([("cpi.docx", DOCX), ("cpi.pdf", PDF)], shape="forwarded"))
    forms = forms_of(raw)
    assert [(a.filename, a.path_in_message) for a in forms] == [("cpi.docx", "2/2/2"), ("cpi.pdf", "2/2/3")]
    assert [a.data for a in forms] == [DOCX, PDF]


def test_a_zip_inside_a_forwarded_email():
    form, = forms_of(forward(email_with_forms([("cpi.pdf", PDF)], shape="zip")))
    assert form.path_in_message == "2/forms.zip/cpi.pdf"


def test_forwards_nested_too_deep_are_listed_not_walked():
    raw = email_with_forms([("cpi.pdf", PDF)])
    for _ in range(MAX_MESSAGE_DEPTH + 1):
        raw = forward(raw)
    message = read_message(raw, LIMITS)
    deepest, = message.attachments
    assert deepest.filename == "attachment-1.eml"
    assert deepest.rejected == f"forwarded e-mails are read only {MAX_MESSAGE_DEPTH} levels deep"
    assert deepest.path_in_message == "/".join(["2"] * (MAX_MESSAGE_DEPTH + 1))


def test_a_base64_encoded_forwarded_email_is_decoded():
    inner = email_with_forms([("cpi.pdf", PDF)])
    part = ("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + b64(inner))
    form, = forms_of(raw_mail(part))
    assert (form.data, form.path_in_message) == (PDF, "1/2")


# --- zips ---------------------------------------------------------------------------------------

def test_a_zip_of_two_forms():
    archive = zipped({"a.pdf": PDF, "sub/b.docx": DOCX, "sub/": b"", "__MACOSX/sub/._b.docx": b"\0" * 40})
    part = ('Content-Type: application/zip; name="forms.zip"\r\n'
            f'Content-Disposition: attachment; filename="forms.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64(archive)}')
    forms = read_message(raw_mail(part), LIMITS).attachments
    assert [(a.filename, a.path_in_message, a.rejected) for a in forms] == [
        ("a.pdf", "forms.zip/a.pdf", None), ("b.docx", "forms.zip/sub/b.docx", None)]
    assert [a.content_type for a in forms] == [
        "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
    assert [a.data for a in forms] == [PDF, DOCX]


def test_the_mail_samples_zip_shape():
    forms = forms_of(email_with_forms([("cpi.pdf", PDF), ("cpi.doc", DOC)], shape="zip"))
    assert [a.path_in_message for a in forms] == ["forms.zip/cpi.pdf", "forms.zip/cpi.doc"]


def test_a_zip_inside_a_zip_is_opened_but_not_deeper():
    inner = zipped({"b.pdf": PDF, "deeper.zip": zipped({"c.pdf": PDF})})
    outer = zipped({"a.docx": DOCX, "inner.zip": inner})
    attachments = read_message(email_with_forms([("outer.zip", outer)]), LIMITS).attachments
    assert [(a.path_in_message, a.rejected) for a in attachments] == [
        ("outer.zip/a.docx", None),
        ("outer.zip/inner.zip/b.pdf", None),
        ("outer.zip/inner.zip/deeper.zip", "zip files inside zip files are opened only 2 levels deep"),
    ]


def test_a_zip_bomb_is_rejected_without_unpacking_it():
    bomb = zipped({"a.pdf": PDF, "huge.pdf": b"%PDF-1.4\n" + b"\0" * (120 * MB)})
    assert len(bomb) < 1 * MB
    raw = email_with_forms([("forms.zip", bomb)])
    tracemalloc.start()
    message = read_message(raw, LIMITS)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    listed, = message.attachments
    assert listed.rejected == "the zip file unpacks to more than the 50 MB limit"
    assert (listed.filename, listed.data, listed.path_in_message) == ("forms.zip", bomb, "2")
    assert peak < 20 * MB


def lie_about_sizes(archive: bytes, size: int) -> bytes:
    """`archive` with every entry's uncompressed size (local and central headers) set to `size`."""
    data = bytearray(archive)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.find(signature)
        while start >= 0:
            struct.pack_into("<I", data, start + offset, size)
            start = data.find(signature, start + 4)
    return bytes(data)


def test_a_zip_whose_declared_sizes_lie_is_read_only_up_to_a_hard_cap():
    liar = lie_about_sizes(zipped({"huge.pdf": b"%PDF-1.4\n" + b"\0" * (60 * MB)}), 1000)
    tracemalloc.start()
    message = read_message(email_with_forms([("forms.zip", liar)]), LIMITS)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    entry, = message.attachments
    assert entry.rejected == "the file in the zip is damaged"
    assert entry.data == b""
    assert peak < 20 * MB


def test_reading_stops_past_the_declared_size_whatever_zipfile_does(monkeypatch):
    # zipfile itself stops at the declared size; the reader does not rely on it.
    archive = zipped({"a.pdf": PDF})
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, info: io.BytesIO(PDF + bytes(10 * MB)))
    listed, = read_message(email_with_forms([("forms.zip", archive)]), LIMITS).attachments
    assert listed.rejected == "the zip file is damaged: a file in it unpacks to more than its stated size"
    assert (listed.filename, listed.data) == ("forms.zip", archive)


def test_a_spreadsheet_in_a_zip_is_one_file_not_an_archive():
    sheet = zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    attachments = read_message(email_with_forms([("forms.zip", zipped({"a.pdf": PDF, "list.xlsx": sheet}))]),
                               LIMITS).attachments
    assert [(a.path_in_message, a.rejected) for a in attachments] == [
        ("forms.zip/a.pdf", None), ("forms.zip/list.xlsx", NOT_A_FORM)]


def test_a_zip_with_too_many_entries_is_rejected():
    archive = zipped({f"note-{n}.txt": b"x" for n in range(600)} | {"a.pdf": PDF})
    listed, = read_message(email_with_forms([("forms.zip", archive)]), LIMITS).attachments
    assert listed.rejected == "the zip file holds more than 500 files"


def test_a_large_file_in_a_zip_is_listed_as_too_large():
    archive = zipped({"a.pdf": PDF, "big.pdf": b"%PDF-1.4\n" + b"\0" * (2 * MB)})
    limits = MailLimits(max_attachment_bytes=1 * MB)
    attachments = read_message(email_with_forms([("forms.zip", archive)]), limits).attachments
    assert [(a.filename, a.rejected, a.data == b"") for a in attachments] == [
        ("a.pdf", None, False), ("big.pdf", "the attachment is larger than the 1 MB limit", True)]
    assert attachments[1].size == 2 * MB + 9


def zipcrypto_zip(name: str, plain: bytes, password: bytes) -> bytes:
    """A one-entry zip encrypted with traditional PKWARE encryption (stored, not compressed)."""
    keys = [0x12345678, 0x23456789, 0x34567890]

    def crc(value: int, byte: int) -> int:
        return ~zlib.crc32(bytes([byte]), ~value & 0xFFFFFFFF) & 0xFFFFFFFF

    def update(byte: int) -> None:
        keys[0] = crc(keys[0], byte)
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = crc(keys[2], keys[1] >> 24)

    def encrypt(data: bytes) -> bytes:
        out = bytearray()
        for byte in data:
            temp = keys[2] | 2
            out.append(byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
            update(byte)
        return bytes(out)

    for byte in password:
        update(byte)
    checksum = zlib.crc32(plain)
    body = encrypt(bytes(11) + bytes([checksum >> 24])) + encrypt(plain)
    encoded = name.encode("ascii")
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 1, 0, 0, 0, checksum, len(body),
                        len(plain), len(encoded), 0) + encoded + body
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 1, 0, 0, 0, checksum,
                          len(body), len(plain), len(encoded), 0, 0, 0, 0, 0, 0) + encoded
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


def test_an_encrypted_zip_entry_is_rejected_with_the_reason():
    secret = zipcrypto_zip("secret.pdf", PDF, b"hunter2")
    with zipfile.ZipFile(io.BytesIO(secret)) as archive:  # a real encrypted entry
        assert archive.read("secret.pdf", pwd=b"hunter2") == PDF
    raw = email_with_forms([("secret.zip", secret), ("forms.zip", zipped({"open.pdf": PDF}))])
    attachments = read_message(raw, LIMITS).attachments
    assert [(a.path_in_message, a.rejected, a.data == b"") for a in attachments] == [
        ("secret.zip/secret.pdf", "the file in the zip is password-protected", True),
        ("forms.zip/open.pdf", None, False)]


@pytest.mark.parametrize("archive, reason", [
    (zipped({"logo.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 50}), "the zip file holds no PDF or Word document"),
    (b"PK\x03\x04" + b"\0" * 100, "the zip file is damaged and cannot be opened"),
])
def test_a_zip_with_nothing_to_read_is_listed_as_rejected(archive, reason):
    listed, = read_message(email_with_forms([("stuff.zip", archive)]), LIMITS).attachments
    assert (listed.filename, listed.rejected, listed.data) == ("stuff.zip", reason, archive)


def test_other_files_in_a_zip_are_listed_as_not_forms():
    archive = zipped({"a.pdf": PDF, "notes.txt": b"some notes", "photo.jpg": b"\xff\xd8\xff\xe0 jpeg"})
    attachments = read_message(email_with_forms([("forms.zip", archive)]), LIMITS).attachments
    assert [(a.filename, a.rejected) for a in attachments] == [("a.pdf", None), ("notes.txt", NOT_A_FORM)]


# --- no form, and parts that are ignored ---------------------------------------------------------

def test_an_email_with_no_form_keeps_its_body_text():
    message = read_message(email_without_form("Please ring me about the referral.\n\nThanks, Sam"), LIMITS)
    assert message.attachments == []
    assert message.body_text == "Please ring me about the referral.\n\nThanks, Sam"


def test_an_html_only_body_becomes_text_without_fetching_anything():
    html = ('<html><head><title>T</title><style>p {color: red}</style><script>alert(1)</script></head>'
            '<body><p>Dear team,</p><p>Please call&nbsp;me &amp; <b>soon</b>.<br>Sam</p>'
            '<img src="https://tracker.example/pixel.gif"></body></html>')
    raw = raw_mail(f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}")
    assert read_message(raw, LIMITS).body_text == "Dear team,\n\nPlease call me & soon.\nSam"


def test_plain_text_is_preferred_to_html():
    message = read_message(email_with_forms([("cpi.pdf", PDF)]), LIMITS)
    assert message.body_text.startswith("Good afternoon,\n\nPlease find attached")
    assert "<" not in message.body_text


def test_signature_image_calendar_and_vcard_are_ignored_a_spreadsheet_is_listed():
    raw = email_with_forms([("cpi.pdf", PDF)], extras=EXTRAS)
    attachments = read_message(raw, LIMITS).attachments
    assert [(a.filename, a.rejected) for a in attachments] == [
        ("cpi.pdf", None), ("attendance.xlsx", NOT_A_FORM)]
    assert attachments[1].data  # kept so a handler can open it


def test_a_signature_image_sent_as_octet_stream_is_ignored_by_its_bytes():
    part = ('Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="image001"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{b64(b'GIF89a' + bytes(30))}")
    assert read_message(raw_mail(part), LIMITS).attachments == []


def test_an_attached_file_of_another_type_is_listed_not_dropped():
    csv = "Content-Type: text/csv\r\nContent-Disposition: attachment; filename=\"list.csv\"\r\n\r\na,b\r\n"
    txt = "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\n\r\nnotes"
    empty = "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"cpi.pdf\"\r\n\r\n"
    inline = "Content-Type: text/enriched\r\n\r\n<bold>hi</bold>"
    attachments = read_message(raw_mail(csv, txt, empty, inline), LIMITS).attachments
    assert [(a.filename, a.rejected) for a in attachments] == [
        ("list.csv", NOT_A_FORM), ("notes.txt", NOT_A_FORM), ("cpi.pdf", "the attachment is empty")]


# --- limits -------------------------------------------------------------------------------------

def test_an_oversized_attachment_is_listed_with_the_reason_and_no_data():
    big = b"%PDF-1.4\n" + random.Random(1).randbytes(2 * MB)
    limits = MailLimits(max_attachment_bytes=1 * MB)
    attachments = read_message(email_with_forms([("small.pdf", PDF), ("big.pdf", big)]), limits).attachments
    assert [(a.filename, a.rejected) for a in attachments] == [
        ("small.pdf", None), ("big.pdf", "the attachment is larger than the 1 MB limit")]
    assert attachments[1].data == b"" and attachments[1].size == len(big)


def test_the_default_attachment_limit_is_25_mb():
    big = b"%PDF-1.4\n" + bytes(26 * MB)
    listed, = read_message(email_with_forms([("big.pdf", big)]), LIMITS).attachments
    assert listed.rejected == "the attachment is larger than the 25 MB limit"


def test_an_oversized_email_is_not_walked_but_its_headers_are_read():
    raw = email_with_forms([("cpi.pdf", PDF)], message_id="<big@oakfield.sch.uk>")
    message = read_message(raw, MailLimits(max_message_bytes=20_000))
    assert message.rejected == "the e-mail is larger than the 19.5 KB limit"
    assert message.attachments == [] and message.body_text == ""
    assert (message.message_id, message.sender) == ("big@oakfield.sch.uk", "safeguarding@oakfield.sch.uk")


# --- broken MIME --------------------------------------------------------------------------------

def test_broken_base64_is_decoded_as_far_as_possible():
    text = b64(PDF).splitlines()
    text[3] = text[3][:20] + "!!*" + text[3][20:]  # characters base64 does not have
    text[-1] = text[-1].rstrip("=")  # padding lost
    part = ('Content-Type: application/pdf; name="cpi.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            + "\r\n".join(text))
    message = read_message(raw_mail(part), LIMITS)
    form, = message.attachments
    assert form.data[:len(PDF) - 3] == PDF[:len(PDF) - 3]
    assert message.defects >= 1


def test_a_missing_boundary_is_recovered_from_the_delimiter_lines():
    raw = (b"From: p@oakfield.sch.uk\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
           b"--abc123\r\nContent-Type: text/plain\r\n\r\nSee attached\r\n"
           b"--abc123\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + b64(PDF).encode("ascii") + b"\r\n--abc123--\r\n")
    message = read_message(raw, LIMITS)
    form, = message.attachments
    assert (form.data, form.path_in_message) == (PDF, "2")
    assert message.body_text == "See attached"
    assert message.defects >= 1


def test_a_missing_closing_boundary_keeps_the_last_part():
    raw = raw_mail("Content-Type: text/plain\r\n\r\nHi").replace(b"--b--\r\n", b"")
    raw += b'--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n' + b64(PDF).encode()
    form, = forms_of(raw)
    assert form.data == PDF


@pytest.mark.parametrize("charset, body, expected", [
    ("utf-8", "Café".encode("latin-1"), "Café"),  # declared UTF-8, sent as Latin-1
    ("x-unknown-charset", "naïve".encode("utf-8"), "naïve"),  # unknown name
    ("iso-8859-1", "Straße".encode("latin-1"), "Straße"),
])
def test_wrong_or_unknown_charsets_still_give_text(charset, body, expected):
    raw = (f"From: p@oakfield.sch.uk\r\nContent-Type: text/plain; charset={charset}\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n").encode("ascii") + body
    assert read_message(raw, LIMITS).body_text == expected


def test_deeply_nested_parts_do_not_raise():
    body = "".join(f"--b{n}\r\nContent-Type: multipart/mixed; boundary=b{n + 1}\r\n\r\n" for n in range(3000))
    raw = f"From: p@oakfield.sch.uk\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n{body}".encode()
    message = read_message(raw, LIMITS)
    assert message.rejected == "the e-mail's parts are nested too deeply to read"
    assert message.attachments == []
    assert message.sender == "p@oakfield.sch.uk"


def test_damaged_headers_do_not_raise():
    raw = (b"From: <<<@@@>>> \"unterminated\r\nSubject: =?utf-8?B?broken\xff?=\r\n"
           b"Message-ID: no angle brackets@x\r\nDate: 99 Foo 99999 99:99:99\r\n"
           b"Content-Type: text/plain; charset=\"\r\n\r\nbody\r\n")
    message = read_message(raw, LIMITS)
    assert message.date is None and message.message_id is None
    assert message.body_text == "body"


def test_random_damage_never_raises():
    base = email_with_forms([("cpi.pdf", PDF[:3000]), ("forms.zip", zipped({"a.pdf": PDF[:2000]}))],
                            shape="forwarded", extras=EXTRAS)
    rng = random.Random(20260303)
    for _ in range(300):
        damaged = bytearray(base)
        for _ in range(rng.randint(1, 20)):
            position = rng.randrange(len(damaged))
            action = rng.random()
            if action < 0.4:
                damaged[position] = rng.randrange(256)
            elif action < 0.7:
                del damaged[position:position + rng.randint(1, 200)]
            else:
                damaged[position:position] = rng.choice([b"\r\n", b"--", b"=?", b"\r\n\r\n", b"; name*"])
        message = read_message(bytes(damaged), LIMITS)
        assert isinstance(message.body_text, str)
        assert all(isinstance(a.data, bytes) for a in message.attachments)


# --- the samples other tests append to a server -------------------------------------------------

@pytest.mark.parametrize("shape, marker", [
    ("rfc2231", "filename*=UTF-8''cpi.pdf"),
    ("encoded-word", 'filename="=?utf-8?'),
    ("inline", "Content-Disposition: inline;"),
    ("octet-stream", "Content-Type: application/octet-stream; name="),
    ("zip", 'filename="forms.zip"'),
    ("forwarded", "Content-Type: message/rfc822"),
])
def test_mail_samples_have_crlf_line_ends_and_the_shape_they_name(shape, marker):
    raw = email_with_forms([("cpi.pdf", PDF)], shape=shape, message_id="sample-1@oakfield.sch.uk")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert marker in raw.decode("ascii")
    assert read_message(raw, LIMITS).message_id == "sample-1@oakfield.sch.uk"


def test_mail_samples_without_a_name_say_nothing_of_one():
    raw = email_with_forms([("cpi.pdf", PDF)], shape="no-filename").decode("ascii")
    assert "name=" not in raw and "Content-Disposition" not in raw
    with pytest.raises(ValueError):
        email_with_forms([("cpi.pdf", PDF)], shape="fax")
