"""Which version a document is: footer/metadata, structure and field names combined (the spec's rules)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .anchors import Anchor
from .definitions import FormDefinition
from .normalise import fold

_ANY_FOOTER = re.compile(r"CPI\s*Form\s*v\s*\d+(?:\.\d+)?", re.IGNORECASE)
_MIN_FIELD_LABELS = 6
_MIN_FIELD_NAMES = 5


@dataclass(frozen=True)
class VersionVerdict:
    looks_like_cpi: bool
    version: str | None  # the definition chosen, None when unrecognised
    footer_version: str | None  # what the footer/metadata says ("?" for a version not defined)
    structure_version: str | None
    conflict: bool


def _markers(d: FormDefinition) -> set[str]:
    """Printed things whose presence tells versions apart: title, headings, categories, labels."""
    texts = [d.title, *(s.heading for s in d.sections), *(c.label for c in d.categories), *(f.label for f in d.fields)]
    return {fold(t) for t in texts}


def footer_version(texts: list[str], definitions: dict[str, FormDefinition]) -> str | None:
    """The version named by a footer or metadata string; "?" for a CPI version not defined here."""
    for text in texts:
        for d in definitions.values():
            if d.footer_re.search(text):
                return d.version
    return "?" if any(_ANY_FOOTER.search(t) for t in texts) else None


_FURNITURE = re.compile(
    r"CPI\s*Form\s*v\s*\d|OFFICIAL[\s-]*SENSITIVE|^\s*Page\s+\d+(\s+of\s+\d+)?\s*$", re.IGNORECASE
)


def is_furniture(line: str) -> bool:
    """A page header or footer line (version footer, protective marking, page number)."""
    return bool(_FURNITURE.search(line))


def _best(scores: dict[str, float], floor: float) -> str | None:
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < floor:
        return None
    if len(ranked) > 1 and ranked[1][1] >= ranked[0][1]:
        return None  # a tie: structure alone cannot tell
    return ranked[0][0]


def detect(anchors: list[Anchor], field_names: set[str], furniture: list[str],
           definitions: dict[str, FormDefinition]) -> VersionVerdict:
    found = {fold(a.phrase.text) for a in anchors}
    markers = {v: _markers(d) for v, d in definitions.items()}
    all_markers = set().union(*markers.values())
    scores: dict[str, float] = {}
    for v, m in markers.items():
        foreign = (found & all_markers) - m
        scores[v] = len(found & m) - 2 * len(foreign)
    names = set(field_names)
    all_names = set().union(*(d.field_names for d in definitions.values()))
    known_names = names & all_names
    if len(known_names) >= _MIN_FIELD_NAMES:
        for v, d in definitions.items():
            scores[v] += len(known_names & d.field_names) - 2 * len(known_names - d.field_names)
    structure = _best(scores, floor=_MIN_FIELD_LABELS)
    footer = footer_version(furniture, definitions)
    field_labels = found & {fold(f.label) for d in definitions.values() for f in d.fields}
    titles = found & {fold(d.title) for d in definitions.values()}
    looks = bool(titles) or footer is not None or len(field_labels) >= _MIN_FIELD_LABELS \
        or len(known_names) >= _MIN_FIELD_NAMES
    if structure is not None:
        version = structure
    elif footer not in (None, "?"):
        version = footer
    else:
        version = None
    conflict = structure is not None and footer is not None and footer != structure
    return VersionVerdict(looks, version if looks else None, footer, structure, conflict)
