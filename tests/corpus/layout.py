"""The printed structure of a CPI form version, built from its definition: sections, rows, labels."""
from __future__ import annotations

from dataclasses import dataclass

from parsers.definitions import FieldDef, FormDefinition

HEADER = "OFFICIAL-SENSITIVE (when complete)"
INTRO = ("Please complete this form electronically and return it to the Partnership Intelligence "
         "Unit. Answer every question you can; leave a box empty if you do not know.")
CATEGORY_HINT = "(tick all that apply)"
PLACEHOLDER = "Click or tap here to enter text."
CHOOSE_PLACEHOLDER = "Choose an item."

# Field type -> the definition's choice list used to print the answer.
CHOICE_KIND = {"yes_no": "yes_no", "yes_no_unknown": "yes_no_unknown", "source": "source"}


@dataclass(frozen=True)
class Row:
    """One question of the form."""

    key: str  # record path, e.g. "subjects[1].surname"; "categories.<code>" for a tick box
    name: str  # fillable-field name / content-control tag
    label: str
    kind: str  # text | multiline | date | choice | tick
    choice: str | None = None  # yes_no | yes_no_unknown | source


@dataclass(frozen=True)
class Group:
    """Rows printed together; `title` is e.g. "Subject 1" (None for an untitled group)."""

    title: str | None
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Section:
    number: int
    heading: str
    groups: tuple[Group, ...]

    @property
    def printed_heading(self) -> str:
        hint = f" {CATEGORY_HINT}" if self.is_categories else ""
        return f"{self.number}. {self.heading}{hint}"

    @property
    def is_categories(self) -> bool:
        return any(r.kind == "tick" for g in self.groups for r in g.rows)


def _row(f: FieldDef, subject: int | None = None) -> Row:
    key, name = f.key_for(subject), f.name_for(subject)
    if f.type in CHOICE_KIND:
        return Row(key, name, f.label, "choice", CHOICE_KIND[f.type])
    return Row(key, name, f.label, {"multiline": "multiline", "date": "date"}.get(f.type, "text"))


def sections(definition: FormDefinition) -> tuple[Section, ...]:
    """The sections in print order, each with its rows (subject rows repeated per subject)."""
    by_prefix: dict[str, list[FieldDef]] = {}
    for f in definition.fields:
        by_prefix.setdefault(f.key.split(".")[0], []).append(f)
    handling = by_prefix.get("handling", [])
    out = []
    for s in definition.sections:
        if s.number == 1:
            groups = [Group(None, tuple(_row(f) for f in by_prefix["submitter"]))]
        elif s.number == 2:
            groups = [
                Group(title, tuple(_row(f, i) for f in by_prefix["subjects[]"]))
                for i, title in enumerate(definition.subject_labels)
            ]
        elif s.number == 3:
            groups = [Group(None, tuple(Row(f"categories.{c.code}", c.name, c.label, "tick") for c in definition.categories))]
        elif s.number == 4:
            groups = [Group(None, tuple(_row(f) for f in by_prefix["information"]))]
        elif s.number == 5:
            groups = [Group(None, tuple(_row(f) for f in by_prefix["consent"]))]
        else:
            f = handling[s.number - 6]
            groups = [Group(None, (_row(f),))]
        out.append(Section(s.number, s.heading, tuple(groups)))
    return tuple(out)


def printed_label(label: str, style: str) -> str:
    """A label as a partner's copy prints it: `plain`, `colon` (`Name:`), `upper` (`NAME -`)."""
    if style == "colon":
        return label if label.endswith(("?", ".", ":")) else f"{label}:"
    if style == "upper":
        return f"{label.upper().rstrip('?.:')} -"
    return label


# Words partners use for answers, one set per presentation variant.
ANSWER_WORDS = (
    {"yes": "Yes", "no": "No", "unknown": "Don't know"},
    {"yes": "yes", "no": "no", "unknown": "Not known"},
    {"yes": "Y", "no": "N", "unknown": "Unknown"},
)
TEMPLATE_OPTIONS = {"yes_no_unknown": ("yes", "no", "unknown"), "yes_no": ("yes", "no")}
TICKS = ("X", "x", "✓", "☒", "Yes")  # typed next to a ticked category
UNTICKS = ("", "☐")


def answer_text(definition: FormDefinition, choice: str, code: str, variant: int) -> str:
    """How a typed answer reads: a yes/no word or one of the definition's option phrases."""
    if choice == "source":
        phrases = definition.choices["source"][code]
        return phrases[variant % len(phrases)]
    return ANSWER_WORDS[variant % len(ANSWER_WORDS)][code]


def option_phrases(definition: FormDefinition, choice: str) -> list[tuple[str, str]]:
    """(code, printed option) pairs for a choice question as the template prints them."""
    if choice == "source":
        return [(code, words[0]) for code, words in definition.choices["source"].items()]
    return [(code, ANSWER_WORDS[0][code]) for code in TEMPLATE_OPTIONS[choice]]
