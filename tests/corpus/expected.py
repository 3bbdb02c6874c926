"""The record a parser should produce for a corpus file, computed from the same `Fill` it was written from."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from parsers.definitions import FormDefinition

from .data import Fill
from .values import Date, Email, Phone, Postcode, Value

GENDER = {"male": "male", "m": "male", "boy": "male", "female": "female", "f": "female", "girl": "female",
          "not known": "unknown", "unknown": "unknown", "other": "other"}
SUBJECT_FIELDS = ("surname", "forenames", "date_of_birth", "gender", "address", "postcode", "school_or_setting")
YES_NO = {"yes": True, "no": False}


def _value(path: str, value: Value | None, raw: dict[str, str]) -> Any:
    """The canonical record value; where normalisation changes more than whitespace, keep the text in `raw`."""
    if value is None:
        return None
    if isinstance(value, Phone):
        return value.canonical
    if isinstance(value, (Date, Postcode, Email)):
        if value.canonical != value.typed:
            raw[path] = value.typed
        return value.canonical
    if path.endswith(".gender"):
        return GENDER[value.lower()]
    if path in ("consent.mash_referral_made", "consent.may_contact_submitter"):
        return YES_NO[value]
    return value


def _missing(fill: Fill, definition: FormDefinition) -> list[str]:
    v = fill.values
    missing = [f.key for f in definition.fields if f.required and not f.is_subject and f.key not in v]
    if "subjects[0].surname" not in v and "subjects[0].forenames" not in v:
        missing.append("subjects[0]")
    if not fill.categories:
        missing.append("categories")
    return sorted(missing)


def expected_record(fill: Fill, definition: FormDefinition, path: Path, fmt: str, pages: int | None,
                    *, current: str = "v3") -> dict[str, Any]:
    """The normalised record for `path` (its bytes must already be final), in the spec's JSON shape."""
    v, raw = fill.values, {}

    def get(p: str) -> Any:
        return _value(p, v.get(p), raw)

    submitter = {k: get(f"submitter.{k}") for k in ("name", "role", "organisation", "email", "phone")}
    phone = v.get("submitter.phone")
    submitter["phone_normalised"] = phone.e164 if isinstance(phone, Phone) else None
    submitter["date_completed"] = get("submitter.date_completed")
    subjects = []
    for i in range(definition.subject_count):
        subject = {k: get(f"subjects[{i}].{k}") for k in SUBJECT_FIELDS}
        if any(x is not None for x in subject.values()):
            subjects.append(subject)
    missing = _missing(fill, definition)
    flags = {"out_of_date_form"} if definition.version != current else set()
    if fmt == "pdf_scanned":
        flags.add("ocr_used")
    if missing:
        flags.add("incomplete")
    has_handling = "handling" in definition.record_sections
    record = {
        "document": {"filename": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                     "format": fmt, "pages": pages},
        "status": "current" if definition.version == current else "out_of_date",
        "form_version": definition.version,
        "version_label": definition.label,
        "flags": sorted(flags),
        "missing": missing,
        "submitter": submitter,
        "subjects": subjects,
        "categories": [c.code for c in definition.categories if c.code in fill.categories],
        "categories_other": fill.categories_other,
        "information": {k: get(f"information.{k}") for k in ("text", "date_obtained", "source", "associated_details")},
        "consent": {k: get(f"consent.{k}") for k in ("subject_aware", "mash_referral_made", "may_contact_submitter")},
        "handling": {k: get(f"handling.{k}") for k in ("risks_if_police_act", "mitigation")} if has_handling else None,
    }
    record["raw"] = dict(sorted(raw.items()))
    return record
