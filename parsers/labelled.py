"""Label-anchored extraction: the answer to a label is what sits right of it or below it.

Works on any `Layout` (DOCX tables, text-layer PDF, OCR words): a value region starts after
its label and ends at the next label below (or the next label to its right on the same line),
so layouts that wrap, stack or tabulate labels all read the same way.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .anchors import Anchor, AnchorFinder, Phrase
from .definitions import CategoryDef, FieldDef, FormDefinition
from .layout import Layout, is_box_glyph, mark_state
from .normalise import fold

EMPTY_ANSWERS = frozenset(
    {"", "n a", "na", "none", "nil", "click or tap here to enter text", "click here to enter text",
     "choose an item", "click or tap to enter a date"}
)
NEAR_LINES = 6  # lines either side within which form labels count as neighbours
CHOICE_TYPES = frozenset({"source", "yes_no", "yes_no_unknown", "gender"})


_TYPED_CHOICE_TICKS = frozenset({"x", "✓", "✔", "√", "[x]", "(x)"})


def _is_choice_mark(text: str) -> bool:
    """A box (ticked or not) or a typed tick; `Yes`/`No` are options here, not marks."""
    return is_box_glyph(text) or text.strip().lower() in _TYPED_CHOICE_TICKS


def _option_phrases(text: str, options: dict[str, tuple[str, ...]]) -> list[str]:
    """`Yes No Don't know` -> ["Yes", "No", "Don't know"] when the text is only the form's options."""
    folded = fold(text).split()
    known = sorted({tuple(fold(w).split()) for code, ws in options.items() for w in (code, *ws)}, key=len,
                   reverse=True)
    phrases: list[str] = []
    i = 0
    while i < len(folded):
        match = next((k for k in known if k and tuple(folded[i:i + len(k)]) == k), None)
        if match is None:
            return [text]  # not only options: the whole text is one answer
        phrases.append(" ".join(match))
        i += len(match)
    return phrases or [text]


def phrases_for(definitions: list[FormDefinition]) -> list[Phrase]:
    """Every label, heading, category and subject label of every version, once each."""
    phrases: dict[str, Phrase] = {}

    def add(kind: str, ref: str, text: str) -> None:
        phrases.setdefault(fold(text), Phrase(kind, ref, text))

    for d in definitions:
        add("title", d.version, d.title)
        for s in d.sections:
            add("heading", str(s.number), s.heading)
        for c in d.categories:
            add("category", c.code, c.label)
        for i, label in enumerate(d.subject_labels):
            add("subject", str(i), label)
        for f in d.fields:
            add("field", f.key, f.label)
    for d in definitions:
        for f in d.fields:
            for text in f.aliases:
                add("alias", f.key, text)
    return list(phrases.values())


def find_anchors(layout: Layout, definitions: list[FormDefinition], fuzzy: bool = False) -> list[Anchor]:
    """Labels, headings and categories; a field's aliases only where its printed label is absent."""
    phrases = phrases_for(definitions)
    finder = AnchorFinder(layout, fuzzy=fuzzy)
    anchors = finder.find_all([p for p in phrases if p.kind != "alias"])
    labelled = {a.phrase.ref for a in anchors if a.phrase.kind == "field"}
    anchors += finder.find_all([p for p in phrases if p.kind == "alias" and p.ref not in labelled])
    anchors.sort(key=lambda a: (a.top, a.x0))
    return anchors


@dataclass
class Findings:
    """Raw answers found by label, keyed by field name (`subjects_0_surname`, `cat_<code>`)."""

    values: dict[str, str | bool | None] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)


class LabelledReader:
    """Reads one definition's answers from a layout and the anchors found in it."""

    def __init__(self, layout: Layout, anchors: list[Anchor], definition: FormDefinition,
                 paragraph_lines: bool) -> None:
        self.layout = layout
        self.definition = definition
        self.paragraph_lines = paragraph_lines
        self.by_text: dict[str, list[Anchor]] = {}
        for a in anchors:
            self.by_text.setdefault(fold(a.phrase.text), []).append(a)
        self.anchors = anchors
        self.anchor_words = {w for a in anchors for w in a.words}
        self.tol = max(layout.line_height, 6.0)

    # -- locating labels -------------------------------------------------------------------
    def _occurrences(self, f: FieldDef) -> list[Anchor]:
        """Anchors of the printed label, else of its first alias that was found."""
        for text in f.labels:
            found = self.by_text.get(fold(text))
            if found:
                return found
        return []

    def _likeliest(self, occurrences: list[Anchor]) -> Anchor:
        """A label printed more than once (a covering letter, an answer quoting it): the one among labels.

        Form labels stand close together; a stray mention stands alone. Ties go to the first.
        """
        if len(occurrences) == 1:
            return occurrences[0]

        def neighbours(a: Anchor) -> int:
            return sum(1 for b in self.anchors if b is not a and abs(b.lines[0] - a.lines[0]) <= NEAR_LINES)

        return max(occurrences, key=lambda a: (neighbours(a), -a.top))

    def _first(self, texts: tuple[str, ...] | list[str]) -> Anchor | None:
        for text in texts:
            if found := self.by_text.get(fold(text)):
                return found[0]
        return None

    # -- value regions ---------------------------------------------------------------------
    def region(self, a: Anchor, x_range: tuple[float, float] | None = None) -> list[list[int]]:
        """Word indices of the answer to `a`, line by line."""
        layout = self.layout
        first = a.lines[0]
        right = min((b.x0 for b in self.anchors if b is not a and b.lines[0] == first and b.x0 > a.x1 - 1),
                    default=math.inf)
        below = min((b.top for b in self.anchors if b.lines[0] > first and b.top > a.top + 1 and b is not a
                     and b.x0 < right), default=math.inf)
        label_x1: dict[int, float] = {}
        for w in a.words:
            li = layout.line_of[w]
            label_x1[li] = max(label_x1.get(li, -math.inf), layout.words[w].x1)
        label_segments = {layout.segment_of[w] for w in a.words}
        column: float | None = None  # where the answer's column starts, when it sits beside the label
        lines: list[list[int]] = []
        for li in range(first, len(layout.lines)):
            line = layout.lines[li]
            if layout.words[line[0]].top >= below - 1 and li not in label_x1:
                break
            left = label_x1[li] - 1 if li in label_x1 else a.x0 - 3 * self.tol
            if column is not None:
                left = max(left, column - self.tol)
            picked = [
                w for w in line
                if w not in self.anchor_words and layout.words[w].x0 >= left and layout.words[w].x0 < right
                and layout.words[w].top < below - 1
                and (x_range is None or x_range[0] <= layout.words[w].x0 < x_range[1])
            ]
            if li in label_x1:
                picked = self._without_hint(picked, label_segments)
            if li == first and picked and not any(layout.segment_of[w] in label_segments for w in picked):
                column = layout.words[picked[0]].x0  # a label cell and an answer cell beside it
            if picked:
                lines.append(picked)
        return lines

    def _without_hint(self, words: list[int], label_segments: set[int]) -> list[int]:
        """Drop a bracketed note printed right after a label, e.g. `Date of birth (dd/mm/yyyy)`."""
        layout = self.layout
        own = [w for w in words if layout.segment_of[w] in label_segments]
        if not own or not layout.words[own[0]].text.startswith("("):
            return words
        for n, w in enumerate(own):
            if layout.words[w].text.rstrip(":").endswith(")"):
                return [x for x in words if x not in own[: n + 1]]
        return words

    def text_of(self, lines: list[list[int]]) -> str | None:
        """Region words as text: wrapped lines joined, paragraph breaks kept.

        In DOCX every line is a paragraph. Elsewhere a line ends its paragraph when the next
        line's first word would have fitted on it (the writer pressed Enter, not the margin).
        """
        words = self.layout.words
        right = max((words[line[-1]].x1 for line in lines), default=0.0)
        if lines and not self.paragraph_lines:
            right = max(right, self.layout.column_right(words[lines[0][0]].x0))
        space = self.layout.line_height * 0.3
        out: list[str] = []
        for i, line in enumerate(lines):
            text = " ".join(words[w].text for w in line)
            if i == 0:
                out.append(text)
                continue
            prev_end = words[lines[i - 1][-1]].x1
            first = words[line[0]]
            fitted = prev_end + space + (first.x1 - first.x0) < right - space and (
                out[-1].rstrip()[-1:] in ".!?:;)\"'" or first.text[:1].isupper() or first.text[:1].isdigit())
            if self.paragraph_lines or fitted:
                out.append("\n" + text)
            elif out[-1].endswith("-") and not out[-1].endswith(" -"):
                out.append(text)
            else:
                out.append(" " + text)
        value = "".join(out).strip().lstrip(":-–—").strip()
        return None if fold(value) in EMPTY_ANSWERS else value

    def choice_text(self, lines: list[list[int]], options: dict[str, tuple[str, ...]]) -> str | None:
        """A choice answer: the option beside a ticked box or a typed tick, or the typed answer.

        Marks either precede their options (`☒ Yes ☐ No`, `X Yes No`) or follow them
        (`Yes ☒ No ☐`, `Yes X No`); the sequence's first item tells which. Text between marks
        is split into the form's option phrases, so a lone typed tick finds its own option.
        """
        words = self.layout.words
        flat = [w for line in lines for w in line]
        if not any(_is_choice_mark(words[w].text) for w in flat):
            return self.text_of(lines)
        items: list[bool | None | list[str]] = []  # a mark's state, or a run of option phrases
        run: list[str] = []
        for w in flat:
            text = words[w].text
            if _is_choice_mark(text):
                if run:
                    items.append(_option_phrases(" ".join(run), options))
                    run = []
                items.append(mark_state(text))
            else:
                run.append(text)
        if run:
            items.append(_option_phrases(" ".join(run), options))
        marks_first = not isinstance(items[0], list)
        ticked: list[str] = []
        for i, item in enumerate(items):
            if item is not True:
                continue
            j = i + 1 if marks_first else i - 1
            if 0 <= j < len(items) and isinstance(items[j], list) and items[j]:
                phrases = items[j]
                ticked.append(phrases[0] if marks_first else phrases[-1])
        return ticked[0] if len(ticked) == 1 else None

    # -- answers ---------------------------------------------------------------------------
    def read(self) -> Findings:
        found = Findings()
        for f in self.definition.fields:
            if f.is_subject:
                continue
            occurrences = self._occurrences(f)
            if occurrences:
                found.values[f.name_for()] = self._answer(f, self.region(self._likeliest(occurrences)))
        self._read_subjects(found)
        self._read_categories(found)
        return found

    def _answer(self, f: FieldDef, lines: list[list[int]]) -> str | None:
        if f.type in CHOICE_TYPES:
            return self.choice_text(lines, self.definition.choices.get(f.type, {}))
        text = self.text_of(lines)
        if f.type == "email" and text is not None:
            return "".join(text.split())  # an address holds no spaces: one wrapped in a narrow cell is rejoined
        return text

    def _read_subjects(self, found: Findings) -> None:
        d = self.definition
        heads = [a for text in d.subject_labels for a in self.by_text.get(fold(text), [])[:1]]
        side_by_side = len(heads) >= 2 and all(abs(h.top - heads[0].top) < self.tol for h in heads)
        subject_fields = [f for f in d.fields if f.is_subject]
        if side_by_side:
            heads.sort(key=lambda h: h.x0)
            edges = [h.x0 - self.tol for h in heads] + [math.inf]
            for f in subject_fields:
                occ = self._occurrences(f)
                if not occ:
                    continue
                for i in range(min(len(heads), d.subject_count)):
                    found.values[f.name_for(i)] = self._answer(f, self.region(occ[0], (edges[i], edges[i + 1])))
            return
        starts = sorted(h.top for h in heads)[1:]  # where Subject 2, 3... begin
        for f in subject_fields:
            slots: dict[int, Anchor] = {}
            for n, a in enumerate(self._occurrences(f)):
                i = sum(1 for s in starts if a.top >= s - 1) if starts else n
                if i < d.subject_count:
                    slots.setdefault(i, a)
            for i, a in slots.items():
                found.values[f.name_for(i)] = self._answer(f, self.region(a))

    def _read_categories(self, found: Findings) -> None:
        d = self.definition
        labels = [(c, self._first([c.label])) for c in d.categories]
        marks = self._marks(labels)
        if any(v is not None for v in marks.values()):
            for c, a in labels:
                if a is not None:
                    found.values[c.name] = bool(marks.get(c.code))
        else:
            for c, a in labels:
                if a is not None:
                    found.unreadable.add(c.name)
        if d.other_code:
            other = next((a for c, a in labels if c.code == d.other_code and a is not None), None)
            if other is not None:
                lines = [[w for w in line if mark_state(self.layout.words[w].text) is None]
                         for line in self.region(other)]
                found.values["categories_other"] = self.text_of([line for line in lines if line])

    def _marks(self, labels: list[tuple[CategoryDef, Anchor | None]]) -> dict[str, bool | None]:
        """Each category's tick, line by line: boxes printed before their labels, or after them.

        On each line the first mark tells the layout; a label then takes the nearest mark on its
        side that no other label stands between. Where a line has box glyphs, typed words
        (`Yes`, `X`) on it are text, not marks.
        """
        layout = self.layout
        by_line: dict[int, list[tuple[str, Anchor]]] = {}
        for c, a in labels:
            if a is not None:
                by_line.setdefault(a.lines[0], []).append((c.code, a))
        states: dict[str, bool | None] = {}
        for li, on_line in by_line.items():
            on_line.sort(key=lambda item: item[1].x0)
            marks = [w for w in layout.lines[li]
                     if w not in self.anchor_words and mark_state(layout.words[w].text) is not None]
            if any(is_box_glyph(layout.words[w].text) for w in marks):
                marks = [w for w in marks if is_box_glyph(layout.words[w].text)]
            starts = sorted(b.x0 for b in self.anchors if b.lines[0] == li)
            before = bool(marks) and layout.words[marks[0]].x1 <= on_line[0][1].x0 + 1
            for code, a in on_line:
                if before:
                    previous = max((x for x in starts if x < a.x0 - 1), default=-math.inf)
                    near = [w for w in marks if previous < layout.words[w].x0 and layout.words[w].x1 <= a.x0 + 1]
                    pick = near[-1] if near else None
                else:
                    following = min((x for x in starts if x > a.x0 + 1), default=math.inf)
                    near = [w for w in marks if a.x1 - 1 <= layout.words[w].x0 < following]
                    pick = near[0] if near else None
                states[code] = mark_state(layout.words[pick].text) if pick is not None else None
        return states
