"""PDF reader timing: median ms per document for a 3-page text-layer form and a fillable form.

Run by hand (not part of the test suite):  python bench/pdf_reader.py [--repeat N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from parsers.config import Limits  # noqa: E402
from parsers.pdf_reader import read_pdf  # noqa: E402
from tests.pdf_samples import cpi_fillable_pdf, cpi_text_pdf, scanned_pdf  # noqa: E402


def median_ms(call: Callable[[], object], repeat: int) -> float:
    call()  # warm up imports and caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--scan", action="store_true", help="also time OCR of a 3-page scan (slow)")
    args = parser.parse_args()
    limits = Limits()
    samples = {
        "pdf_text, 3 pages, glyph boxes": cpi_text_pdf("glyph"),
        "pdf_text, 3 pages, drawn boxes": cpi_text_pdf("vector"),
        "pdf_form, fillable": cpi_fillable_pdf(),
    }
    if args.scan:
        samples["pdf_scanned, 3 pages at 200 dpi"] = scanned_pdf(cpi_text_pdf("glyph"))
    for name, data in samples.items():
        repeat = 3 if "scanned" in name else args.repeat
        print(f"{name:40s} {median_ms(lambda: read_pdf(data, limits), repeat):9.1f} ms median")


if __name__ == "__main__":
    main()
