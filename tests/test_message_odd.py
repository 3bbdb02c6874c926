"""The odd shapes real partners' mail systems produce: Outlook's winmail.dat and attached .msg
e-mails, S/MIME and PGP, uuencoded and Macintosh files, wrong transfer encodings, mobile mail."""
from __future__ import annotations

import base64
import binascii
import datetime
import random

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from intake.message import MAX_MESSAGE_DEPTH, NOT_A_FORM, Attachment, MailLimits, read_message
from mail_samples import (applesingle, binhex, email_with_forms, example_form, forward, outlook_msg,
                          tnef)

PDF = example_form("v3-pdf-form.pdf")
DOCX = example_form("v3-docx-template.docx")
LIMITS = MailLimits()
ENCRYPTED_SMIME = "the e-mail is encrypted (S/MIME); it cannot be read here"
ENCRYPTED_PGP = "the e-mail is encrypted (PGP); it cannot be read here"


def raw_mail(*parts: str | bytes, content_type: str = 'multipart/mixed; boundary="b"') -> bytes:
    """A hand-written e-mail whose body is `parts` between boundary "b" lines."""
    head = ("From: Partner <partner@oakfield.sch.uk>\r\nTo: cpi@police.example\r\nSubject: Form\r\n"
            f"Message-ID: <odd-1@oakfield.sch.uk>\r\nMIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n")
    body = b"".join(b"--b\r\n" + (p.encode("utf-8") if isinstance(p, str) else p) + b"\r\n" for p in parts)
    return head.encode("ascii") + body + b"--b--\r\n"


def b64(data: bytes) -> str:
    text = base64.b64encode(data).decode("ascii")
    return "\r\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def file_part(data: bytes, headers: str) -> str:
    return f"{headers}\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64(data)}"


def listed(raw: bytes) -> list[tuple[str, str, str | None]]:
    return [(a.filename, a.path_in_message, a.rejected) for a in read_message(raw, LIMITS).attachments]


def forms_of(raw: bytes) -> list[Attachment]:
    return [a for a in read_message(raw, LIMITS).attachments if a.rejected is None]


# --- Outlook's winmail.dat (TNEF) ---------------------------------------------------------------

def test_the_files_inside_winmail_dat_are_the_forms():
    winmail = tnef([("CPI form – élève.pdf", PDF), ("cpi.docx", DOCX), ("notes.txt", b"some notes")])
    raw = raw_mail("Content-Type: text/plain\r\n\r\nSee attached",
                   file_part(winmail, 'Content-Type: application/ms-tnef; name="winmail.dat"\r\n'
                                      'Content-Disposition: attachment; filename="winmail.dat"'))
    message = read_message(raw, LIMITS)
    assert [(a.filename, a.path_in_message, a.rejected) for a in message.attachments] == [
        ("CPI form – élève.pdf", "winmail.dat/CPI form – élève.pdf", None),
        ("cpi.docx", "winmail.dat/cpi.docx", None),
        ("notes.txt", "winmail.dat/notes.txt", NOT_A_FORM)]
    assert [a.data for a in message.attachments[:2]] == [PDF, DOCX]
    assert message.body_text == "See attached" and message.rejected is None


def test_winmail_dat_is_known_by_its_signature_whatever_its_type_or_name():
    raw = raw_mail(file_part(tnef([("cpi.pdf", PDF)]), "Content-Type: application/octet-stream"))
    form, = forms_of(raw)
    assert (form.filename, form.path_in_message, form.data) == ("cpi.pdf", "attachment-1.dat/cpi.pdf", PDF)


def test_an_email_attached_inside_winmail_dat_is_opened():
    winmail = tnef([("a.pdf", PDF)], attached=[tnef([("b.docx", DOCX)])])
    raw = raw_mail(file_part(winmail, 'Content-Type: application/ms-tnef; name="winmail.dat"'))
    assert listed(raw) == [("a.pdf", "winmail.dat/a.pdf", None),
                           ("b.docx", "winmail.dat/Referral.msg/b.docx", None)]


def test_a_winmail_dat_with_no_files_adds_nothing_and_a_truncated_one_keeps_what_it_read():
    empty = raw_mail(file_part(tnef([]), 'Content-Type: application/ms-tnef; name="winmail.dat"'))
    assert read_message(empty, LIMITS).attachments == []
    whole = tnef([("a.pdf", PDF), ("b.pdf", PDF)])
    cut = raw_mail(file_part(whole[:-1000], 'Content-Type: application/ms-tnef; name="winmail.dat"'))
    assert listed(cut) == [("a.pdf", "winmail.dat/a.pdf", None)]


def test_winmail_dats_nested_in_each_other_stop_at_the_depth_limit():
    stream = tnef([("deep.pdf", PDF)])
    for _ in range(MAX_MESSAGE_DEPTH + 1):
        stream = tnef([], attached=[stream])
    raw = raw_mail(file_part(stream, 'Content-Type: application/ms-tnef; name="winmail.dat"'))
    deepest, = read_message(raw, LIMITS).attachments
    assert deepest.rejected == f"forwarded e-mails are read only {MAX_MESSAGE_DEPTH} levels deep"


# --- an Outlook .msg attached -------------------------------------------------------------------

def test_the_attachments_of_an_attached_outlook_msg_are_the_forms():
    msg = outlook_msg("Concern about a pupil", [("CPI form.pdf", PDF), ("CPI form.docx", DOCX)],
                      attached=[("Earlier referral", [("old.pdf", PDF)])])
    raw = raw_mail("Content-Type: text/plain\r\n\r\nForwarding the e-mail from the school",
                   file_part(msg, 'Content-Type: application/vnd.ms-outlook; name="Concern.msg"\r\n'
                                  'Content-Disposition: attachment; filename="Concern.msg"'))
    attachments = read_message(raw, LIMITS).attachments
    assert [(a.filename, a.path_in_message, a.rejected) for a in attachments] == [
        ("CPI form.pdf", "Concern.msg/CPI form.pdf", None),
        ("CPI form.docx", "Concern.msg/CPI form.docx", None),
        ("old.pdf", "Concern.msg/Earlier referral.msg/old.pdf", None)]
    assert [a.data for a in attachments] == [PDF, DOCX, PDF]


def test_a_msg_without_a_form_is_listed_so_a_person_sees_it():
    msg = outlook_msg("Meeting notes", [("notes.txt", b"notes")])
    raw = raw_mail(file_part(msg, 'Content-Type: application/octet-stream; name="Notes.msg"'))
    assert listed(raw) == [("notes.txt", "Notes.msg/notes.txt", NOT_A_FORM)]
    empty = raw_mail(file_part(outlook_msg("Hello", []), 'Content-Type: application/octet-stream; name="Hi.msg"'))
    assert listed(empty) == [("Hi.msg", "1", NOT_A_FORM)]


def test_a_truncated_msg_is_listed_with_the_reason():
    msg = outlook_msg("Concern", [("CPI form.pdf", PDF)])
    raw = raw_mail(file_part(msg[:len(msg) // 2], 'Content-Type: application/octet-stream; name="C.msg"'))
    assert listed(raw) == [("C.msg", "1", "the attached Outlook e-mail (.msg) is damaged and cannot be read")]


def test_an_oversized_msg_or_winmail_dat_is_listed_without_being_opened():
    msg = outlook_msg("Concern", [("cpi.pdf", PDF)])
    winmail = tnef([("cpi.pdf", PDF)])
    raw = raw_mail(file_part(msg, 'Content-Type: application/octet-stream; name="C.msg"'),
                   file_part(winmail, 'Content-Type: application/ms-tnef; name="winmail.dat"'))
    attachments = read_message(raw, MailLimits(max_attachment_bytes=40_000)).attachments
    assert [(a.filename, a.rejected, a.data) for a in attachments] == [
        ("C.msg", "the attachment is larger than the 39.1 KB limit", b""),
        ("winmail.dat", "the attachment is larger than the 39.1 KB limit", b"")]


# --- S/MIME and PGP -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def signer() -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "safeguarding@oakfield.sch.uk")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return cert, key


def inner_entity() -> bytes:
    """The signed or encrypted MIME entity: a text body and a PDF form."""
    return raw_mail("Content-Type: text/plain\r\n\r\nSigned form attached",
                    file_part(PDF, 'Content-Type: application/pdf; name="cpi.pdf"')).split(b"\r\n", 5)[5]


def envelope(content: bytes) -> bytes:
    return ("From: Partner <partner@oakfield.sch.uk>\r\nTo: cpi@police.example\r\nSubject: Form\r\n"
            "Message-ID: <smime-1@oakfield.sch.uk>\r\n").encode("ascii") + content


def test_an_smime_encrypted_email_is_rejected_with_a_plain_reason(signer):
    cert, _ = signer
    encrypted = pkcs7.PKCS7EnvelopeBuilder().set_data(inner_entity()).add_recipient(cert).encrypt(
        serialization.Encoding.SMIME, [])
    message = read_message(envelope(encrypted), LIMITS)
    assert message.rejected == ENCRYPTED_SMIME
    assert message.attachments == [] and message.message_id == "smime-1@oakfield.sch.uk"
    assert b"enveloped-data" in encrypted


def test_an_encrypted_smime_part_without_smime_type_is_known_from_its_content(signer):
    cert, _ = signer
    der = pkcs7.PKCS7EnvelopeBuilder().set_data(inner_entity()).add_recipient(cert).encrypt(
        serialization.Encoding.DER, [])
    raw = raw_mail("Content-Type: text/plain\r\n\r\nEncrypted by our gateway",
                   file_part(der, 'Content-Type: application/x-pkcs7-mime; name="smime.p7m"'))
    assert listed(raw) == [("smime.p7m", "2", ENCRYPTED_SMIME)]


def test_a_pgp_encrypted_email_is_rejected():
    armored = "-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA8Zq5d1b2cYzAQf/\r\n=abcd\r\n-----END PGP MESSAGE-----"
    raw = raw_mail("Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1",
                   f'Content-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n{armored}',
                   content_type='multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"')
    message = read_message(raw, LIMITS)
    assert message.rejected == ENCRYPTED_PGP and message.attachments == []
    inline = raw_mail(f"Content-Type: text/plain\r\n\r\n{armored}")
    assert read_message(inline, LIMITS).rejected == ENCRYPTED_PGP


def test_an_encrypted_email_forwarded_is_an_unreadable_attachment():
    armored = "-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA8Zq5d1b2cYzAQf/\r\n-----END PGP MESSAGE-----"
    inner = raw_mail("Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1",
                     f"Content-Type: application/octet-stream\r\n\r\n{armored}",
                     content_type='multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"')
    message = read_message(forward(inner), LIMITS)
    assert message.rejected is None
    assert [(a.path_in_message, a.rejected) for a in message.attachments] == [("2", ENCRYPTED_PGP)]


def test_smime_signed_mail_still_gives_its_forms(signer):
    cert, key = signer
    signed = pkcs7.PKCS7SignatureBuilder().set_data(inner_entity()).add_signer(cert, key, hashes.SHA256()).sign(
        serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature])
    message = read_message(envelope(signed), LIMITS)
    assert b"multipart/signed" in signed and message.rejected is None
    assert [(a.filename, a.data, a.rejected) for a in message.attachments] == [("cpi.pdf", PDF, None)]
    assert message.body_text == "Signed form attached"


def test_opaque_signed_mail_gives_the_forms_inside_the_signature(signer):
    cert, key = signer
    der = pkcs7.PKCS7SignatureBuilder().set_data(inner_entity()).add_signer(cert, key, hashes.SHA256()).sign(
        serialization.Encoding.DER, [])
    raw = envelope(("MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data; "
                    'name="smime.p7m"\r\nContent-Disposition: attachment; filename="smime.p7m"\r\n'
                    f"Content-Transfer-Encoding: base64\r\n\r\n{b64(der)}\r\n").encode("ascii"))
    message = read_message(raw, LIMITS)
    assert message.rejected is None
    assert [(a.filename, a.data, a.path_in_message) for a in message.attachments] == [("cpi.pdf", PDF, "1/2")]
    assert message.body_text == "Signed form attached"


def test_a_damaged_signed_part_is_listed_with_the_reason():
    raw = raw_mail(file_part(b"\x30\x80\x06\x09garbage", 'Content-Type: application/pkcs7-mime; '
                                                       'smime-type=signed-data; name="smime.p7m"'))
    assert listed(raw) == [("smime.p7m", "1", "the signed e-mail (S/MIME) is damaged and cannot be read")]


# --- uuencoded, BinHex and Macintosh files ------------------------------------------------------

def uuencoded(name: str, data: bytes) -> str:
    lines = "".join(binascii.b2a_uu(data[i:i + 45]).decode("ascii") for i in range(0, len(data), 45))
    return f"begin 644 {name}\n{lines}`\nend\n"


def test_uuencoded_forms_in_a_plain_text_body():
    body = ("Please find the form below.\r\n\r\n" + uuencoded("cpi form.pdf", PDF)
            + "\r\n" + "begin-base64 644 cpi.docx\n" + base64.encodebytes(DOCX).decode("ascii") + "====\n"
            + "Regards\r\n")
    message = read_message(raw_mail(f"Content-Type: text/plain; charset=us-ascii\r\n\r\n{body}"), LIMITS)
    assert [(a.filename, a.path_in_message, a.data) for a in message.attachments] == [
        ("cpi form.pdf", "1/cpi form.pdf", PDF), ("cpi.docx", "1/cpi.docx", DOCX)]
    assert message.body_text == "Please find the form below.\n\nRegards"


def test_prose_that_starts_like_uuencoding_is_left_alone():
    body = "begin 644 is the mode\r\nbut this is not a file\r\n"
    message = read_message(raw_mail(f"Content-Type: text/plain\r\n\r\n{body}"), LIMITS)
    assert message.attachments == [] and message.body_text.startswith("begin 644 is the mode")


def test_appledouble_gives_the_data_fork():
    header = b"\x00\x05\x16\x07\x00\x02\x00\x00" + bytes(16) + b"\x00\x00"  # AppleDouble header, no entries
    double = (b'Content-Type: multipart/appledouble; boundary="d"\r\n\r\n--d\r\n'
              + file_part(header, 'Content-Type: application/applefile; name="cpi.pdf"').encode("ascii")
              + b"\r\n--d\r\n"
              + file_part(PDF, 'Content-Type: application/pdf; name="cpi.pdf"').encode("ascii")
              + b"\r\n--d--")
    assert listed(raw_mail(double)) == [("cpi.pdf", "1/2", None)]


def test_applesingle_and_binhex_give_the_data_fork():
    single = file_part(applesingle("CPI form.pdf", PDF), 'Content-Type: application/applefile; name="CPI form"')
    hexed = ('Content-Type: application/mac-binhex40; name="cpi.hqx"\r\n\r\n'
             + binhex("CPI form 2.pdf", PDF).decode("ascii"))
    message = read_message(raw_mail(single, hexed), LIMITS)
    assert [(a.filename, a.data, a.rejected) for a in message.attachments] == [
        ("CPI form.pdf", PDF, None), ("CPI form 2.pdf", PDF, None)]


def test_a_damaged_binhex_file_is_listed_with_the_reason():
    hexed = binhex("cpi.pdf", PDF).decode("ascii")
    cut = hexed[:200] + ":\r\n"
    raw = raw_mail(f'Content-Type: application/mac-binhex40; name="cpi.hqx"\r\n\r\n{cut}')
    assert listed(raw) == [("cpi.hqx", "1", "the Macintosh file (BinHex) is damaged")]


# --- e-mails attached as files, and wrong transfer encodings ------------------------------------

def test_an_eml_attached_as_octet_stream_is_read_as_a_forwarded_email():
    inner = email_with_forms([("cpi.pdf", PDF)], subject="Concern")
    raw = raw_mail("Content-Type: text/plain\r\n\r\nSee the e-mail attached",
                   file_part(inner, 'Content-Type: application/octet-stream; name="Concern.eml"\r\n'
                                    'Content-Disposition: attachment; filename="Concern.eml"'))
    message = read_message(raw, LIMITS)
    assert [(a.filename, a.path_in_message, a.data) for a in message.attachments] == [("cpi.pdf", "2/2", PDF)]
    assert "Subject: Concern" in message.body_text


def test_binary_pdf_bytes_in_an_8bit_part():
    part = b'Content-Type: application/pdf; name="cpi.pdf"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' + PDF
    form, = forms_of(raw_mail(part))
    assert form.data.rstrip(b"\r\n") == PDF.rstrip(b"\r\n")


def test_a_quoted_printable_pdf():
    part = (b'Content-Type: application/pdf; name="cpi.pdf"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
            + binascii.b2a_qp(PDF, istext=False).replace(b"\n", b"\r\n"))
    form, = forms_of(raw_mail(part))
    assert form.data == PDF


def test_base64_without_a_transfer_encoding_header():
    part = f'Content-Type: application/pdf; name="cpi.pdf"\r\n\r\n{b64(PDF)}'
    form, = forms_of(raw_mail(part))
    assert form.data == PDF


def test_binary_bytes_declared_base64():
    part = b'Content-Type: application/pdf; name="cpi.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n' + PDF
    form, = forms_of(raw_mail(part))
    assert form.data.startswith(b"%PDF-") and len(form.data) >= len(PDF) - 2


# --- mobile mail --------------------------------------------------------------------------------

def test_a_form_in_multipart_related_with_a_content_id_and_no_disposition():
    html = '<html><body><p>Sent from my iPhone</p><img src="cid:f1"></body></html>'
    related = ('Content-Type: multipart/related; type="text/html"; boundary="r"\r\n\r\n'
               f"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
               "--r\r\n" + file_part(PDF, 'Content-Type: application/pdf; name="CPI form.pdf"\r\n'
                                          "Content-ID: <f1>") + "\r\n--r--")
    message = read_message(raw_mail(related), LIMITS)
    assert [(a.filename, a.path_in_message, a.data) for a in message.attachments] == [
        ("CPI form.pdf", "1/2", PDF)]
    assert message.body_text == "Sent from my iPhone"


def test_a_name_only_in_content_type():
    form, = forms_of(raw_mail(file_part(DOCX, 'Content-Type: application/octet-stream; name="cpi.docx"')))
    assert (form.filename, form.data) == ("cpi.docx", DOCX)


# --- never raises -------------------------------------------------------------------------------

def test_random_damage_to_odd_shapes_never_raises():
    parts = [file_part(tnef([("a.pdf", PDF[:3000])]), 'Content-Type: application/ms-tnef; name="winmail.dat"'),
             file_part(outlook_msg("S", [("b.pdf", PDF[:3000])]), 'Content-Type: application/octet-stream; name="b.msg"'),
             file_part(applesingle("c.pdf", PDF[:2000]), "Content-Type: application/applefile"),
             "Content-Type: text/plain\r\n\r\n" + uuencoded("d.pdf", PDF[:2000])]
    rng = random.Random(20260304)
    for part in parts:
        data = bytearray(base64.b64decode("".join(part.split("\r\n\r\n", 1)[1].split()))) if "base64" in part else None
        for _ in range(60):
            if data is None:
                damaged = bytearray(part.encode("ascii"))
            else:
                damaged = bytearray(data)
            for _ in range(rng.randint(1, 10)):
                position = rng.randrange(len(damaged))
                if rng.random() < 0.5:
                    damaged[position] = rng.randrange(256)
                else:
                    del damaged[position:position + rng.randint(1, 100)]
            if data is None:
                raw = raw_mail(bytes(damaged))
            else:
                raw = raw_mail(file_part(bytes(damaged), 'Content-Type: application/octet-stream; name="x.bin"'))
            message = read_message(raw, LIMITS)
            assert all(isinstance(a.data, bytes) for a in message.attachments)


def test_an_opendocument_text_form_is_a_form_not_a_zip():
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    raw = raw_mail(file_part(buf.getvalue(), 'Content-Type: application/octet-stream; name="cpi.odt"'))
    [form] = forms_of(raw)
    assert form.filename == "cpi.odt" and form.rejected is None
