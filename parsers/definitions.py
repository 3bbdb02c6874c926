"""Form definitions: one TOML file per CPI form version, loaded from folders (data, not code)."""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

BUILTIN_FORMS_DIR = Path(__file__).parent / "forms"


class DefinitionError(ValueError):
    """A form definition file is missing something or contradicts itself."""


def field_name(key: str) -> str:
    """The fillable-field name / content-control tag for a record key (`subjects[0].surname` -> `subjects_0_surname`)."""
    return re.sub(r"[.\[\]]+", "_", key).strip("_")


@dataclass(frozen=True)
class FieldDef:
    key: str  # e.g. "submitter.name" or "subjects[].surname"
    label: str
    type: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def is_subject(self) -> bool:
        return self.key.startswith("subjects[]")

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)

    def key_for(self, subject: int | None = None) -> str:
        """The record path; for subject fields, the path for subject `subject` (0-based)."""
        return self.key.replace("[]", f"[{subject}]") if self.is_subject else self.key

    def name_for(self, subject: int | None = None) -> str:
        return field_name(self.key_for(subject))


@dataclass(frozen=True)
class CategoryDef:
    code: str
    label: str

    @property
    def name(self) -> str:
        return f"cat_{self.code}"


@dataclass(frozen=True)
class SectionDef:
    number: int
    heading: str


@dataclass(frozen=True)
class FormDefinition:
    version: str
    label: str
    issued: dt.date
    footer_pattern: str
    title: str
    sections: tuple[SectionDef, ...]
    fields: tuple[FieldDef, ...]
    categories: tuple[CategoryDef, ...]
    subject_labels: tuple[str, ...]
    subjects_required: int
    other_code: str | None
    choices: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    source: Path | None = None

    @cached_property
    def footer_re(self) -> re.Pattern[str]:
        return re.compile(self.footer_pattern, re.IGNORECASE)

    @property
    def subject_count(self) -> int:
        return len(self.subject_labels)

    @cached_property
    def field_names(self) -> frozenset[str]:
        """Every fillable-field name / content-control tag this version's template uses."""
        names = {c.name for c in self.categories}
        if self.other_code:
            names.add("categories_other")
        for f in self.fields:
            if f.is_subject:
                names.update(f.name_for(i) for i in range(self.subject_count))
            else:
                names.add(f.name_for())
        return frozenset(names)

    @property
    def record_sections(self) -> frozenset[str]:
        """Top-level record objects this version has (`handling` only where its fields exist)."""
        return frozenset(f.key.split(".")[0].split("[")[0] for f in self.fields)


def _load_one(path: Path) -> FormDefinition:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DefinitionError(f"{path.name}: cannot read form definition: {exc}") from exc
    try:
        cats = raw["categories"]
        subj = raw["subjects"]
        issued = raw["issued"]
        if isinstance(issued, str):
            issued = dt.date.fromisoformat(issued)
        definition = FormDefinition(
            version=str(raw["version"]),
            label=str(raw["label"]),
            issued=issued,
            footer_pattern=str(raw["footer_pattern"]),
            title=str(raw["title"]),
            sections=tuple(SectionDef(int(s["number"]), str(s["heading"])) for s in raw["sections"]),
            fields=tuple(
                FieldDef(
                    key=str(f["key"]),
                    label=str(f["label"]),
                    type=str(f.get("type", "text")),
                    required=bool(f.get("required", False)),
                    aliases=tuple(f.get("aliases", ())),
                )
                for f in raw["fields"]
            ),
            categories=tuple(CategoryDef(str(c["code"]), str(c["label"])) for c in cats["boxes"]),
            subject_labels=tuple(subj["labels"]),
            subjects_required=int(subj.get("required", 1)),
            other_code=cats.get("other_code"),
            choices={k: {code: tuple(words) for code, words in v.items()} for k, v in raw.get("choices", {}).items()},
            source=path,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DefinitionError(f"{path.name}: missing or invalid key {exc}") from exc
    re.compile(definition.footer_pattern)
    return definition


def load_definitions(*folders: Path | str) -> dict[str, FormDefinition]:
    """Load every `*.toml` definition from the built-in folder and any extra folders (later wins)."""
    found: dict[str, FormDefinition] = {}
    for folder in (BUILTIN_FORMS_DIR, *folders):
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            d = _load_one(path)
            found[d.version] = d
    if not found:
        raise DefinitionError("no form definitions found")
    return found
