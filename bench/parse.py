"""Parsing benchmark: median ms per document, documents/s on one core and peak memory, per format.

Run by hand (not part of the test suite):  python bench/parse.py [--repeat N]

Beside cpi-intake's own figures it measures, on the same files in the same run, the floor (read
the bytes; for DOCX also unzip and parse word/document.xml) and the naive approach
(pdfplumber.open + extract_text of every page; python-docx cell-by-cell `.text`), plus the cost
of isolation (the worker pool against an in-process call).
"""
from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]

from lxml import etree  # noqa: E402

from parsers.config import ParserConfig  # noqa: E402
from parsers.parse import open_pool, parse_document  # noqa: E402
from corpus.generate import build_corpus  # noqa: E402

CONFIG = ParserConfig(workers=1)


def floor(data: bytes, fmt: str) -> None:
    if fmt == "docx":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            etree.fromstring(z.read("word/document.xml"))


def naive(data: bytes, fmt: str) -> None:
    if fmt.startswith("pdf"):
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                page.extract_text()
    else:
        import docx

        document = docx.Document(io.BytesIO(data))
        for table in document.tables:
            for row in table.rows:
                for cell in row.cells:
                    _ = cell.text


def ours(data: bytes, fmt: str) -> None:
    parse_document(data, "bench", CONFIG)


def _measure(fn: Callable[[bytes, str], None], files: list[tuple[bytes, str]], repeat: int, conn) -> None:
    """In a forked child, so peak memory is this approach's alone."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    times = []
    for _ in range(repeat):
        for data, fmt in files:
            t = time.perf_counter()
            fn(data, fmt)
            times.append((time.perf_counter() - t) * 1000)
    conn.send((times, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(fn: Callable[[bytes, str], None], files: list[tuple[bytes, str]], repeat: int) -> tuple[float, float]:
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_measure, args=(fn, files, repeat, child))
    proc.start()
    times, peak = parent.recv()
    proc.join()
    return statistics.median(times), peak


def isolation_overhead(files: list[tuple[bytes, str]], repeat: int) -> tuple[float, float]:
    """Median ms per document in-process and through a one-worker pool (parent wall clock)."""
    inproc, pooled = [], []
    with open_pool(CONFIG) as pool:
        for _ in range(repeat):
            for data, _fmt in files:
                t = time.perf_counter()
                parse_document(data, "bench", CONFIG)
                inproc.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                pool.parse(data, "bench")
                pooled.append((time.perf_counter() - t) * 1000)
    return statistics.median(inproc), statistics.median(pooled)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = build_corpus(Path(tmp))
        by_format: dict[str, list[tuple[bytes, str]]] = {}
        for case in cases:
            fmt = case.expected["document"]["format"]
            by_format.setdefault(case.format_id, []).append((case.path.read_bytes(), fmt))
    print(f"{'format':<16}{'files':>6}{'ours ms':>10}{'docs/s':>9}{'peak MiB':>10}"
          f"{'floor ms':>10}{'naive ms':>10}{'naive/ours':>11}")
    for format_id, files in sorted(by_format.items()):
        repeat = 1 if format_id == "pdf_scanned" else args.repeat
        ours_ms, ours_peak = measure(ours, files, repeat)
        floor_ms, _ = measure(floor, files, repeat)
        naive_ms, _ = measure(naive, files, repeat) if format_id != "doc" else (float("nan"), 0)
        print(f"{format_id:<16}{len(files):>6}{ours_ms:>10.1f}{1000 / ours_ms:>9.1f}{ours_peak:>10.0f}"
              f"{floor_ms:>10.2f}{naive_ms:>10.1f}{naive_ms / ours_ms:>11.2f}")
    fast = [f for fid, fs in by_format.items() if fid in ("docx_template", "pdf_form", "pdf_text") for f in fs]
    inproc, pooled = isolation_overhead(fast, args.repeat)
    print(f"\nisolation: in-process {inproc:.1f} ms, pooled {pooled:.1f} ms, overhead {pooled - inproc:.1f} ms per document")


if __name__ == "__main__":
    main()
