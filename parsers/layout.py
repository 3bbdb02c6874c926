"""Reading a page the way a person does: words grouped into lines and segments (cells).

`Layout` orders the words of an `Extraction`, groups them into lines (vertical overlap) and
splits each line into segments at wide gaps, so a label cell and its value cell on the same
line stay apart whatever produced the document.
"""
from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace

from .extraction import BOX_GLYPHS, CHECK_GLYPHS, CHECKED, UNCHECKED, Word
from .normalise import fold

_TYPED_TICKS = frozenset({"x", "✓", "✔", "√", "yes", "y", "[x]", "(x)", "ticked", "☒", "☑"})
_TYPED_CLEAR = frozenset({"no", "n", "[ ]", "( )", "☐"})
_NUMBERING = re.compile(r"(\d{1,2}|[a-zA-Z])[.)]?|\(?\d{1,2}\)|Section|SECTION")


def mark_state(text: str) -> bool | None:
    """True for a tick (☒, X, ✓, Yes), False for an empty box or `No`, None for anything else."""
    t = text.strip().lower()
    if t in (CHECKED,) or (t and all(c in CHECK_GLYPHS for c in t)) or t in _TYPED_TICKS:
        return True
    if t == UNCHECKED or (t and all(c in BOX_GLYPHS for c in t)) or t in _TYPED_CLEAR:
        return False
    return None


def is_box_glyph(text: str) -> bool:
    """A drawn or glyph check box (ticked or not), not a typed answer."""
    return bool(text) and all(c in CHECK_GLYPHS or c in BOX_GLYPHS for c in text)


@dataclass(frozen=True, slots=True)
class Token:
    """One folded token of a word (a word like `Forename(s):` gives `forename`, `s`)."""

    text: str
    word: int  # index into Layout.words
    line: int
    segment: int  # index into Layout.segments


@dataclass(slots=True)
class Segment:
    line: int
    words: list[int]  # word indices, left to right
    x0: float
    x1: float


class Layout:
    """Words in reading order, with lines, segments and folded tokens."""

    def __init__(self, words: list[Word]) -> None:
        self.words: list[Word] = sorted(words, key=lambda w: (w.top, w.x0))
        heights = [w.bottom - w.top for w in self.words if w.bottom > w.top]
        self.line_height: float = statistics.median(heights) if heights else 12.0
        self.lines: list[list[int]] = self._group_lines()
        self.line_of: list[int] = [0] * len(self.words)
        for li, line in enumerate(self.lines):
            for wi in line:
                self.line_of[wi] = li
        self.segments: list[Segment] = []
        self.segment_of: list[int] = [0] * len(self.words)
        self.tokens: list[Token] = []
        self.first_token_of_segment: list[int] = []
        self._split_segments()

    def _group_lines(self) -> list[list[int]]:
        """Words whose vertical centre falls inside the first word of a line join that line."""
        lines: list[list[int]] = []
        top = bottom = float("-inf")
        for i, w in enumerate(self.words):
            if lines and top <= (w.top + w.bottom) / 2 <= bottom:
                lines[-1].append(i)
            else:
                lines.append([i])
                top, bottom = w.top, w.bottom
        for line in lines:
            line.sort(key=lambda i: self.words[i].x0)
        return lines

    def _split_segments(self) -> None:
        gap_limit = max(self.line_height * 1.1, 6.0)
        for li, line in enumerate(self.lines):
            current: list[int] = []
            for wi in line:
                if current and self.words[wi].x0 - self.words[current[-1]].x1 > gap_limit:
                    self._add_segment(li, current)
                    current = []
                current.append(wi)
            if current:
                self._add_segment(li, current)

    def _add_segment(self, line: int, word_ids: list[int]) -> None:
        si = len(self.segments)
        self.segments.append(Segment(line, word_ids, self.words[word_ids[0]].x0, self.words[word_ids[-1]].x1))
        self.first_token_of_segment.append(len(self.tokens))
        for wi in word_ids:
            self.segment_of[wi] = si
            text = self.words[wi].text
            parts = fold(text).split() if not is_box_glyph(text) else [text]
            for part in parts:
                self.tokens.append(Token(part, wi, line, si))

    def column_right(self, x0: float) -> float:
        """How far text reaches in the column starting at `x0` (where wrapped lines end)."""
        tol = max(self.line_height, 6.0)
        return max((s.x1 for s in self.segments if abs(s.x0 - x0) <= tol), default=x0)

    def line_text(self, line: int) -> str:
        return " ".join(self.words[w].text for w in self.lines[line])

    def without_lines(self, drop: Callable[[str], bool]) -> Layout:
        """A new layout without the lines whose text `drop` says are page furniture.

        The gap a dropped footer and header leave (a page break) closes to a line's spacing, so a
        label or answer that runs on over the page reads as it would on one page.
        """
        keep: list[Word] = []
        shift, last_bottom, dropped = 0.0, None, False
        for li, line in enumerate(self.lines):
            if drop(self.line_text(li)):
                dropped = True
                continue
            top = min(self.words[w].top for w in line)
            if dropped and last_bottom is not None:
                shift += max(0.0, top - last_bottom - self.line_height * 0.3)
            dropped = False
            keep += [replace(self.words[w], top=self.words[w].top - shift, bottom=self.words[w].bottom - shift)
                     for w in line]
            last_bottom = max(self.words[w].bottom for w in line)
        return Layout(keep)

    def is_numbering(self, word: int) -> bool:
        text = self.words[word].text
        return bool(_NUMBERING.fullmatch(text.strip())) or mark_state(text) is not None or is_box_glyph(text)

    def next_line_segment(self, segment: int) -> int | None:
        """The segment that continues `segment` on the next line in the same column (a wrapped label)."""
        seg = self.segments[segment]
        tol = max(self.line_height, 8.0)
        for li in (seg.line + 1, seg.line + 2):
            if li >= len(self.lines):
                return None
            gap = self.words[self.lines[li][0]].top - self.words[self.lines[seg.line][0]].bottom
            if gap > self.line_height * 1.6:
                return None
            for wi in self.lines[li]:
                s = self.segment_of[wi]
                if abs(self.segments[s].x0 - seg.x0) <= tol:
                    return s
        return None
