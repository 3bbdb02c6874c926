"""Build the test corpus: every CPI form version in every format, each file beside its expected record.

`build_corpus(out_dir)` writes `<out_dir>/<name>.<ext>` and `<out_dir>/<name>.expected.json` for
each case and returns the `Case` list. Case names are `<version>_<format id>` (`v3_docx_template`).

Format ids (each for v1, v2 and v3):
- `docx_template`: the police template, values in content controls (inline, cell, row and block
  level; check box, drop-down and date controls; placeholders for empty answers).
- `docx_typed`: the template with its controls lost, values and tick marks typed in.
- `docx_legacy`: legacy FORMTEXT / FORMCHECKBOX fields.
- `docx_tracked`: typed values with tracked insertions and deletions.
- `doc`: Word 97-2003, converted from a typed DOCX by LibreOffice.
- `pdf_form`: fillable AcroForm (text fields, `cat_<code>` check boxes, radio groups).
- `pdf_text`: flattened / printed form: a bordered label-value table, boxes as glyphs or shapes.
- `pdf_word_export`: a word processor's "Save as PDF" of a DOCX (LibreOffice); record format `pdf_text`.
- `pdf_scanned`: a `pdf_text` form rasterised, rotated and noisy, as an image-only PDF.

Cases that need an external tool are built only where it is installed, and are otherwise absent
from the returned list (and not written): `doc` and `pdf_word_export` need LibreOffice (`soffice`)
to build; `pdf_scanned` builds with Python packages alone but needs Tesseract to be read, so it is
left out where `tesseract` is missing. `Case.needs` names the tool a parser needs for a case.
Everything else builds with Python packages only.

Run `python -m tests.corpus.generate OUT_DIR` to build everything.
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from parsers.definitions import load_definitions

from . import office
from .data import FILLS
from .docx_forms import write_docx
from .expected import expected_record
from .pdf_forms import write_pdf_form, write_pdf_text
from .scan import scan_pdf

VERSIONS = ("v1", "v2", "v3")
CURRENT_VERSION = "v3"
# format id -> (file extension, record `document.format`, tools a parser needs to read it)
FORMATS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "docx_template": ("docx", "docx", ()),
    "docx_typed": ("docx", "docx", ()),
    "docx_legacy": ("docx", "docx", ()),
    "docx_tracked": ("docx", "docx", ()),
    "doc": ("doc", "doc", ("soffice",)),
    "pdf_form": ("pdf", "pdf_form", ()),
    "pdf_text": ("pdf", "pdf_text", ()),
    "pdf_word_export": ("pdf", "pdf_text", ()),
    "pdf_scanned": ("pdf", "pdf_scanned", ("tesseract",)),
}
# format id -> the tool without which the case is not built
REQUIRES = {"doc": "soffice", "pdf_word_export": "soffice", "pdf_scanned": "tesseract"}


def missing_tools() -> set[str]:
    """External tools not installed here (their cases are left out of the corpus)."""
    found = {"soffice": office.soffice(), "tesseract": shutil.which("tesseract")}
    return {tool for tool, path in found.items() if path is None}


@dataclass(frozen=True)
class Case:
    """One corpus file and the record a parser should produce for it."""

    name: str
    version: str
    format_id: str
    path: Path
    expected: dict[str, Any]
    needs: tuple[str, ...] = ()  # external tools a parser needs to read the file


def _pages(path: Path) -> int | None:
    if path.suffix != ".pdf":
        return None
    pdf = pdfium.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def build_corpus(out_dir: Path, formats: Iterable[str] | None = None,
                 versions: Iterable[str] | None = None) -> list[Case]:
    """Write the chosen cases (default: all) into `out_dir` with their expected records; return them."""
    formats = list(formats or FORMATS)
    versions = list(versions or VERSIONS)
    unknown = [f for f in formats if f not in FORMATS] + [v for v in versions if v not in VERSIONS]
    if unknown:
        raise ValueError(f"unknown format or version: {', '.join(unknown)}")
    definitions = load_definitions()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    absent = missing_tools()
    built: list[tuple[str, str, Path]] = []
    to_convert: dict[str, list[Path]] = {"doc": [], "pdf": []}
    with tempfile.TemporaryDirectory(prefix="cpi-corpus-") as tmp_name:
        tmp = Path(tmp_name)
        for version in versions:
            definition = definitions[version]
            for fmt in formats:
                if REQUIRES.get(fmt) in absent:
                    continue
                fill, name = FILLS[(version, fmt)], f"{version}_{fmt}"
                path = out_dir / f"{name}.{FORMATS[fmt][0]}"
                if fmt.startswith("docx_"):
                    write_docx(definition, fill, fmt.removeprefix("docx_"), path)
                elif fmt == "pdf_form":
                    write_pdf_form(definition, fill, path)
                elif fmt == "pdf_text":
                    write_pdf_text(definition, fill, path)
                elif fmt == "pdf_scanned":
                    flat = tmp / f"{name}.pdf"
                    write_pdf_text(definition, fill, flat)
                    crc = zlib.crc32(name.encode())
                    angle = (0.5 + crc % 100 / 100) * (-1 if crc % 2 else 1)
                    scan_pdf(flat, path, seed=crc, angle=angle)
                else:  # doc, pdf_word_export: a DOCX converted by LibreOffice below
                    style = "template" if fmt == "pdf_word_export" and version == CURRENT_VERSION else "typed"
                    source = tmp / f"{name}.docx"
                    write_docx(definition, fill, style, source)
                    to_convert[FORMATS[fmt][0]].append(source)
                built.append((version, fmt, path))
        for target, sources in to_convert.items():
            if sources:
                office.convert(sources, target, out_dir)
    cases = []
    for version, fmt, path in built:
        _, record_format, needs = FORMATS[fmt]
        expected = expected_record(FILLS[(version, fmt)], definitions[version], path, record_format, _pages(path),
                                   current=CURRENT_VERSION)
        name = path.stem
        (out_dir / f"{name}.expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n",
                                                       encoding="utf-8")
        cases.append(Case(name, version, fmt, path, expected, needs))
    return cases


def main(argv: list[str]) -> int:
    """`python -m tests.corpus.generate OUT_DIR`: build everything, one summary line per file."""
    if len(argv) != 1:
        print("usage: python -m tests.corpus.generate OUT_DIR", file=sys.stderr)
        return 2
    started = time.monotonic()
    cases = build_corpus(Path(argv[0]))
    for case in cases:
        doc = case.expected["document"]
        print(f"{case.path.name:30} {case.path.stat().st_size:>8} bytes  format={doc['format']:<11} "
              f"pages={doc['pages']}  flags={','.join(case.expected['flags']) or '-'}")
    absent = missing_tools()
    skipped = sorted(fmt for fmt, tool in REQUIRES.items() if tool in absent)
    if skipped:
        print(f"not built ({', '.join(sorted(absent))} not installed): {', '.join(skipped)}")
    print(f"{len(cases)} cases in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
