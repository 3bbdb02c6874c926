"""Parser configuration: which definitions, which version is current, and the limits."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    """Limits on one document, checked before and during the expensive work."""

    max_bytes: int = 25 * 1024 * 1024  # the attachment itself
    max_pages: int = 50  # a CPI form has 3-4 pages; far more is not a CPI form
    max_unzipped_bytes: int = 50 * 1024 * 1024  # all parts of a DOCX (zip bombs)
    max_part_bytes: int = 20 * 1024 * 1024  # one part of a DOCX, e.g. word/document.xml
    max_chars: int = 500_000  # text characters taken from a document
    ocr_dpi: int = 300
    ocr_languages: str = "eng"
    convert_seconds: float = 60.0  # LibreOffice .doc conversion wall clock


@dataclass(frozen=True)
class ParserConfig:
    """Everything `parse_document` needs; built from settings.toml by the CLI."""

    current_version: str = "v3"
    forms_dirs: tuple[Path, ...] = ()
    limits: Limits = field(default_factory=Limits)
    # Isolation (the worker pool).
    workers: int = 2
    cpu_seconds: int = 30
    memory_mb: int = 1024
    wall_seconds: float = 60.0
