"""What an S/MIME `application/pkcs7-mime` part holds: signed content to read, or encrypted content.

The part is a CMS ContentInfo (RFC 5652), DER or BER as Outlook writes it. Signed-data
("opaque signed" mail) carries the signed MIME entity inside it; enveloped, encrypted and
authenticated-enveloped data cannot be read without the recipient's key. The signature is not
verified: intake files what partners send, and trust is decided by people.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from asn1crypto import cms

_ENCRYPTED = frozenset({"enveloped_data", "encrypted_data", "authenticated_enveloped_data",
                        "authenticated_data"})


@dataclass
class Pkcs7:
    """`kind` is "signed" (with `content`), "encrypted", "other" (e.g. certificates only) or "damaged"."""

    kind: Literal["signed", "encrypted", "other", "damaged"]
    content: bytes | None = None


def open_pkcs7(data: bytes) -> Pkcs7:
    """The kind of a CMS ContentInfo and, for signed-data, the content it carries."""
    try:
        info = cms.ContentInfo.load(data)
        content_type = info["content_type"].native
        if content_type in _ENCRYPTED:
            return Pkcs7("encrypted")
        if content_type != "signed_data":
            return Pkcs7("other")
        content = info["content"]["encap_content_info"]["content"].native
    except Exception:  # asn1crypto raises ValueError, TypeError and others on damaged DER
        return Pkcs7("damaged")
    if isinstance(content, bytes) and content:
        return Pkcs7("signed", content)
    return Pkcs7("other")
