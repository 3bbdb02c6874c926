"""The `sender_mismatch` flag: the e-mail came from neither the submitter nor their organisation."""
from __future__ import annotations

from typing import Any


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower().strip(".")


def _same_organisation(a: str, b: str) -> bool:
    """Same domain, or one a subdomain of the other (`school.sch.uk` / `mail.school.sch.uk`)."""
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def sender_mismatch(sender: str | None, record: dict[str, Any]) -> bool:
    """True when the form names a submitter e-mail that neither matches the sender nor shares its domain."""
    submitter = (record.get("submitter") or {}).get("email")
    if not sender or not submitter or "@" not in submitter:
        return False
    sender = sender.lower()
    if sender == submitter.lower():
        return False
    return not _same_organisation(_domain(sender), _domain(submitter))
