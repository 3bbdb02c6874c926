"""What a reader hands on: the words of a document with their positions, and values read by name.

Every reader (DOCX, fillable PDF, text-layer PDF, OCR) produces an `Extraction`; version
detection and label-anchored extraction work on it without knowing the format.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Mark glyphs readers emit (or find) for check boxes.
CHECKED = "☒"
UNCHECKED = "☐"
CHECK_GLYPHS = frozenset("☒☑✓✔✗✘⊠■▣")
BOX_GLYPHS = frozenset("☐□▢❑❏")


class UnreadableDocument(Exception):
    """The document cannot be read (encrypted, corrupt, hostile, too large, a tool missing).

    The message is shown to handlers: plain words, no document contents.
    """


@dataclass(frozen=True, slots=True)
class Word:
    """One word as a reader sees it.

    Coordinates are in points from the top-left of the first page; later pages continue
    downwards (readers add the height of the pages before), so sorting by (top, x0) is reading
    order. DOCX readers place table rows as lines and cells as columns.
    """

    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass
class Extraction:
    """Raw findings of one reader, before version detection and normalisation."""

    format: str  # docx | doc | pdf_form | pdf_text | pdf_scanned
    pages: int | None = None
    # Body words in reading positions, for label-anchored extraction.
    words: list[Word] = field(default_factory=list)
    # Values read by fillable-field name / content-control tag: str for text and choices,
    # bool for check boxes, None for present-but-empty.
    values: dict[str, str | bool | None] = field(default_factory=dict)
    # Names of every fillable field / tagged control present (for version detection).
    field_names: set[str] = field(default_factory=set)
    # Header, footer and metadata text (title, subject...), where version strings live.
    furniture: list[str] = field(default_factory=list)
    ocr_used: bool = False
    # Keys a reader saw but could not read (e.g. a check box in an unknown state).
    unreadable: set[str] = field(default_factory=set)
