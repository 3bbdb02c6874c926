"""Finding the printed labels of a form among its words, tolerant of case, punctuation and wrapping."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .layout import Layout
from .normalise import fold


_LABEL_PUNCTUATION = re.compile(r"[:\-–—*]{1,2}")


@dataclass(frozen=True)
class Phrase:
    """Something printed on the form that a reader anchors on."""

    kind: str  # field | alias | category | heading | subject | title
    ref: str  # field key, category code, heading text, subject index
    text: str

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(fold(self.text).split())


@dataclass(frozen=True)
class Anchor:
    """One place where a phrase was found: its words and where they sit."""

    phrase: Phrase
    words: tuple[int, ...]
    lines: tuple[int, ...]
    top: float
    bottom: float
    x0: float
    x1: float  # right edge of the label on its first line


def _close(a: str, b: str) -> bool:
    """Equal, or one edit apart for longer words (OCR slips such as `Surnarne`)."""
    if a == b:
        return True
    if len(a) < 6 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) <= 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


class AnchorFinder:
    """Finds every occurrence of a set of phrases; longer phrases claim their words first."""

    def __init__(self, layout: Layout, fuzzy: bool = False) -> None:
        self.layout = layout
        self.fuzzy = fuzzy  # tolerate one-letter slips (OCR); exact tokens otherwise
        self._used: set[int] = set()
        self._by_first: dict[str, list[int]] = {}
        for i, tok in enumerate(layout.tokens):
            self._by_first.setdefault(tok.text, []).append(i)

    def _same(self, a: str, b: str) -> bool:
        return _close(a, b) if self.fuzzy else a == b

    def _starts(self, first: str) -> list[int]:
        if not self.fuzzy or len(first) < 6:
            return self._by_first.get(first, [])
        return [i for text, ids in self._by_first.items() if _close(text, first) for i in ids]

    def _at_segment_start(self, tok_index: int) -> bool:
        layout = self.layout
        tok = layout.tokens[tok_index]
        if tok_index > 0 and layout.tokens[tok_index - 1].word == tok.word:
            return False
        seg = layout.segments[tok.segment]
        before = seg.words[: seg.words.index(tok.word)]
        return all(layout.is_numbering(w) for w in before)

    def _follow(self, start: int, tokens: tuple[str, ...]) -> list[int] | None:
        layout = self.layout
        seq = [start]
        cur = start
        for want in tokens[1:]:
            nxt: int | None = cur + 1
            if nxt >= len(layout.tokens) or layout.tokens[nxt].segment != layout.tokens[cur].segment:
                seg = layout.next_line_segment(layout.tokens[cur].segment)
                nxt = layout.first_token_of_segment[seg] if seg is not None else None
            if nxt is None or not self._same(layout.tokens[nxt].text, want):
                return None
            seq.append(nxt)
            cur = nxt
        return seq

    def find_all(self, phrases: list[Phrase]) -> list[Anchor]:
        """All occurrences not overlapping each other or earlier calls' finds, in reading order."""
        used = self._used
        found: list[Anchor] = []
        for phrase in sorted(phrases, key=lambda p: -len(p.tokens)):
            toks = phrase.tokens
            if not toks:
                continue
            for start in self._starts(toks[0]):
                if start in used:
                    continue
                seq = self._follow(start, toks)
                if seq is None or used.intersection(seq):
                    continue
                words = tuple(dict.fromkeys(self.layout.tokens[i].word for i in seq))
                last_word_text = self.layout.words[words[-1]].text
                if not (self._at_segment_start(start) or last_word_text.rstrip().endswith(":")):
                    continue
                used.update(seq)
                found.append(self._anchor(phrase, self._with_punctuation(words) + self._trailing_punctuation(seq[-1])))
        found.sort(key=lambda a: (a.top, a.x0))
        return found

    def _with_punctuation(self, words: tuple[int, ...]) -> tuple[int, ...]:
        """The label's words plus any punctuation-only word (`/`, `&`) printed between two of them,
        also at the end of a line the label wraps from or the start of the line it wraps onto."""
        layout = self.layout
        out: list[int] = []
        for a, b in zip(words, words[1:]):
            out.append(a)
            seg_a, seg_b = layout.segments[layout.segment_of[a]], layout.segments[layout.segment_of[b]]
            if seg_a is seg_b:
                gap = seg_a.words[seg_a.words.index(a) + 1: seg_a.words.index(b)]
            else:
                gap = seg_a.words[seg_a.words.index(a) + 1:] + seg_b.words[: seg_b.words.index(b)]
            out += [w for w in gap if not fold(layout.words[w].text)]
        return (*out, words[-1])

    def _trailing_punctuation(self, last_token: int) -> tuple[int, ...]:
        """A lone `:` or `-` printed after a label (perhaps wrapped onto the next line) belongs to it."""
        layout = self.layout
        word = layout.tokens[last_token].word
        seg = layout.segments[layout.segment_of[word]]
        pos = seg.words.index(word)
        if pos + 1 < len(seg.words):
            nxt: int | None = seg.words[pos + 1]
        else:
            cont = layout.next_line_segment(layout.segment_of[word])
            nxt = layout.segments[cont].words[0] if cont is not None else None
        if nxt is not None and _LABEL_PUNCTUATION.fullmatch(layout.words[nxt].text):
            return (nxt,)
        return ()

    def _anchor(self, phrase: Phrase, words: tuple[int, ...]) -> Anchor:
        ws = [self.layout.words[i] for i in words]
        lines = tuple(sorted({self.layout.line_of[i] for i in words}))
        first_line = [w for i, w in zip(words, ws) if self.layout.line_of[i] == lines[0]]
        return Anchor(
            phrase=phrase,
            words=words,
            lines=lines,
            top=min(w.top for w in ws),
            bottom=max(w.bottom for w in ws),
            x0=min(w.x0 for w in ws),
            x1=max(w.x1 for w in first_line),
        )
