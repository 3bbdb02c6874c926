"""The normalised record (the spec's JSON shape): normalisation, missing answers, status and flags."""
from __future__ import annotations

import hashlib
from typing import Any

from . import normalise
from .definitions import FieldDef, FormDefinition
from .risk import rules_fired

Raw = str | bool | None


def document_info(data: bytes, filename: str, fmt: str | None, pages: int | None) -> dict[str, Any]:
    return {"filename": filename, "sha256": hashlib.sha256(data).hexdigest(), "format": fmt, "pages": pages}


def empty_record(document: dict[str, Any], status: str | None, reason: str | None) -> dict[str, Any]:
    """A record with no answers: for unreadable, not-a-CPI and unrecognised documents."""
    return {
        "document": document,
        "status": status,
        "form_version": None,
        "version_label": None,
        "flags": [],
        "missing": [],
        "unreadable_fields": [],
        "risk_rules": [],
        "reason": reason,
        "submitter": None,
        "subjects": [],
        "categories": [],
        "categories_other": None,
        "information": None,
        "consent": None,
        "handling": None,
        "raw": {},
    }


def failure_record(data: bytes, filename: str, reason: str) -> dict[str, Any]:
    """The record of a document that could not be read at all (`unreadable`, with the reason)."""
    return empty_record(document_info(data, filename, None, None), "unreadable", reason)


class _Normaliser:
    """Turns raw answers into record values, noting what was changed, unreadable or missing."""

    def __init__(self, definition: FormDefinition, values: dict[str, Raw], unreadable: set[str],
                 ocr_used: bool = False) -> None:
        self.d = definition
        self.ocr_used = ocr_used
        self.values = values
        self.raw: dict[str, str] = {}
        self.unreadable: list[str] = []
        self.unreadable_names = unreadable

    def value(self, f: FieldDef, subject: int | None = None) -> Any:
        key = f.key_for(subject)
        name = f.name_for(subject)
        if name in self.unreadable_names:
            self.unreadable.append(key)
        raw = self.values.get(name)
        if raw is None:
            return None
        if isinstance(raw, bool):
            return raw if f.type == "yes_no" else ("yes" if raw else "no")
        text = normalise.text(raw)
        if text is None:
            return None
        try:
            return self._typed(f, key, text)
        except normalise.Unreadable:
            self.unreadable.append(key)
            return text

    def _typed(self, f: FieldDef, key: str, text: str) -> Any:
        """The typed value; `raw` keeps the text where more than whitespace changed."""
        kind = f.type
        if kind in ("date", "postcode", "email"):
            try:
                value = getattr(normalise, kind)(text)
            except normalise.Unreadable:
                if not (self.ocr_used and kind == "postcode"):
                    raise
                value = normalise.ocr_postcode(text)
            if value != text:
                self.raw[key] = text
            return value
        if kind in ("yes_no", "yes_no_unknown", "gender", "source"):
            options = self.d.choices.get(kind, {})
            code = normalise.choice(text, options)
            return code == "yes" if kind == "yes_no" else code
        return text


def build_record(document: dict[str, Any], definition: FormDefinition, status: str,
                 values: dict[str, Raw], unreadable: set[str], flags: set[str]) -> dict[str, Any]:
    """The full record for a recognised form version."""
    n = _Normaliser(definition, values, unreadable, ocr_used="ocr_used" in flags)
    record = empty_record(document, status, None)
    record["form_version"] = definition.version
    record["version_label"] = definition.label
    sections: dict[str, dict[str, Any]] = {}
    subjects: list[dict[str, Any]] = [{} for _ in range(definition.subject_count)]
    for f in definition.fields:
        if f.is_subject:
            for i in range(definition.subject_count):
                subjects[i][f.key.split(".", 1)[1]] = n.value(f, i)
            continue
        section, name = f.key.split(".", 1)
        value = n.value(f)
        sections.setdefault(section, {})[name] = value
        if f.type == "phone":
            sections[section][f"{name}_normalised"] = normalise.phone_e164(value) if value else None
    record.update(sections)
    record["subjects"] = [s for s in subjects if any(v is not None for v in s.values())]
    record["categories"] = [c.code for c in definition.categories if values.get(c.name) is True]
    if definition.other_code:
        record["categories_other"] = normalise.text(values.get("categories_other") or None)  # type: ignore[arg-type]
        if record["categories_other"] and definition.other_code not in record["categories"] \
                and values.get(f"cat_{definition.other_code}") is None:
            record["categories"].append(definition.other_code)
    if any(c.name in unreadable for c in definition.categories) and not record["categories"]:
        n.unreadable.append("categories")
    record["missing"] = _missing(definition, record, subjects)
    record["unreadable_fields"] = sorted(set(k for k in n.unreadable if not k.startswith("cat_")))
    record["raw"] = n.raw
    info = record.get("information") or {}
    handling = record.get("handling") or {}
    record["risk_rules"] = rules_fired([info.get("text"), info.get("associated_details"),
                                        handling.get("risks_if_police_act")])
    if record["missing"]:
        flags.add("incomplete")
    if record["unreadable_fields"]:
        flags.add("unreadable_fields")
    if record["risk_rules"]:
        flags.add("possible_crime_or_immediate_risk")
    record["flags"] = sorted(flags)
    return record


def _missing(d: FormDefinition, record: dict[str, Any], subjects: list[dict[str, Any]]) -> list[str]:
    missing: list[str] = []
    for f in d.fields:
        if f.required and not f.is_subject:
            section, name = f.key.split(".", 1)
            if (record.get(section) or {}).get(name) is None:
                missing.append(f.key)
    for i in range(d.subjects_required):
        if not (subjects[i].get("surname") or subjects[i].get("forenames")):
            missing.append(f"subjects[{i}]")
    if not record["categories"]:
        missing.append("categories")
    return sorted(missing)
