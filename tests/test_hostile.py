"""Hostile and broken files come back as records a handler can read; nothing crashes the caller."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import hostile
import pytest

from parsers.config import Limits, ParserConfig
from parsers.parse import open_pool
from parsers.pool import ParserPool

CONFIG = ParserConfig(workers=1, cpu_seconds=5, memory_mb=1024, wall_seconds=10)


@pytest.fixture(scope="module")
def pool() -> Iterator[ParserPool]:
    with open_pool(CONFIG) as p:
        yield p


CASES: list[tuple[Callable[[], bytes], str, str]] = [
    (hostile.empty_file, "unreadable", "empty"),
    (hostile.docx_zip_bomb, "unreadable", "larger than allowed"),
    (hostile.docx_entity_bomb, "unreadable", ""),
    (hostile.docx_password_protected, "unreadable", "password"),
    (hostile.pdf_user_password, "unreadable", "password"),
    (hostile.truncated_pdf, "unreadable", "damaged"),
    (hostile.truncated_docx, "unreadable", ""),
    (hostile.pdf_compression_bomb, "unreadable", ""),
    (hostile.pdf_million_chars, "not_cpi", "not a CPI form"),
    (hostile.pdf_cyclic_page_tree, "unreadable", ""),
    (hostile.pdf_xref_loop, "not_cpi", "not a CPI form"),
    (hostile.docx_letter, "not_cpi", "not a CPI form"),
    (hostile.pdf_invoice, "not_cpi", "not a CPI form"),
    (hostile.pdf_owner_password_only, "not_cpi", "not a CPI form"),
]


@pytest.mark.parametrize("build,status,reason", CASES, ids=[c[0].__name__ for c in CASES])
def test_hostile_file_is_filed_with_a_reason(pool, build, status, reason):
    data = build()
    record = pool.parse(data, f"{build.__name__}.bin")
    assert record["status"] == status
    assert reason.lower() in (record["reason"] or "").lower()
    assert record["reason"], "a handler must see why"
    assert record["document"]["filename"] == f"{build.__name__}.bin"
    assert len(record["document"]["sha256"]) == 64


def test_pool_still_parses_after_every_hostile_file(pool, corpus):
    case = next(c for c in corpus if c.format_id == "docx_template" and c.version == "v3")
    for build, _status, _reason in CASES:
        pool.parse(build(), "x")
    record = pool.parse(case.path.read_bytes(), case.path.name)
    assert record["status"] == "current"
    assert record["submitter"] == case.expected["submitter"]


def test_oversized_file_is_refused_before_reading():
    small = replace(CONFIG, limits=Limits(max_bytes=1000))
    with open_pool(small) as p:
        record = p.parse(b"%PDF-1.7\n" + b"0" * 5000, "big.pdf")
    assert record["status"] == "unreadable"
    assert "larger than" in record["reason"]
