"""The parser pool survives real faults in its workers and answers the next job correctly."""
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from parsers.extraction import UnreadableDocument
from parsers.pool import WORKER_NICENESS, ParserPool


def echo(data: bytes, filename: str) -> dict:
    return {"filename": filename, "size": len(data), "pid": os.getpid(), "niceness": os.nice(0)}


def misbehave(data: bytes, filename: str) -> dict:
    """Do what the document's first word asks, for real, in the worker."""
    command, _, argument = data.decode().partition(" ")
    if command == "sleep":
        time.sleep(float(argument))
    elif command == "spin":
        while True:
            pass
    elif command == "burn":  # use this much processor time, then answer
        start = time.process_time()
        while time.process_time() - start < float(argument):
            pass
    elif command == "allocate":
        blocks = [bytearray(64 * 1024 * 1024) for _ in range(int(argument) // 64)]
        return {"allocated_mb": 64 * len(blocks)}
    elif command == "abort":
        os.abort()
    elif command == "exit":
        os._exit(int(argument))
    elif command == "raise":
        raise KeyError("no such field")
    elif command == "unreadable":
        raise UnreadableDocument("the PDF is protected by a password")
    return echo(data, filename)


def failure_record(data: bytes, filename: str, reason: str) -> dict:
    return {"filename": filename, "status": "unreadable", "reason": reason}


@pytest.fixture(scope="module")
def pool():
    with ParserPool(
        misbehave, failure_record, workers=2, cpu_seconds=1, memory_mb=512, wall_seconds=2.0
    ) as pool:
        yield pool


def assert_answers_normally(pool: ParserPool) -> None:
    for name in ("next.docx", "after.pdf"):
        result = pool.parse(b"hello", name)
        assert result["filename"] == name and result["size"] == 5


def test_a_normal_job_returns_the_targets_dict(pool):
    result = pool.parse(b"plain text", "form.docx")
    assert result["filename"] == "form.docx"
    assert result["size"] == 10
    assert result["pid"] != os.getpid()


def test_a_job_that_overruns_the_wall_clock_is_killed(pool):
    started = time.monotonic()
    result = pool.parse(b"sleep 30", "slow.pdf")
    assert result == {
        "filename": "slow.pdf",
        "status": "unreadable",
        "reason": "the document took longer than 2 s to read",
    }
    assert time.monotonic() - started < 5
    assert_answers_normally(pool)


def test_workers_yield_the_processor_to_the_service(pool):
    assert pool.parse(b"hello", "a.pdf")["niceness"] == min(os.nice(0) + WORKER_NICENESS, 19)


def test_an_endless_loop_is_stopped_by_the_cpu_limit():
    with ParserPool(
        misbehave, failure_record, workers=1, cpu_seconds=1, memory_mb=512, wall_seconds=20.0
    ) as pool:
        started = time.monotonic()
        result = pool.parse(b"spin", "loop.pdf")
        assert result["reason"] == "the document used more than 1 s of processor time"
        assert time.monotonic() - started < 10
        assert_answers_normally(pool)


def test_allocating_past_the_memory_limit_fails_the_job_only(pool):
    result = pool.parse(b"allocate 2048", "bomb.docx")
    assert result["reason"] == "reading the document needed more than 512 MB of memory"
    assert pool.parse(b"allocate 128", "fits.docx") == {"allocated_mb": 128}
    assert_answers_normally(pool)


def test_an_abort_in_a_library_is_reported_as_a_crash(pool):
    result = pool.parse(b"abort", "bomb.pdf")
    assert result["reason"] == "the reader crashed (signal SIGABRT)"
    assert_answers_normally(pool)


def test_a_worker_exiting_mid_job_is_replaced(pool):
    result = pool.parse(b"exit 3", "odd.doc")
    assert result["reason"] == "the reader stopped unexpectedly (exit status 3)"
    assert_answers_normally(pool)


def test_a_worker_killed_while_idle_is_replaced_before_the_next_job():
    with ParserPool(echo, failure_record, workers=1, cpu_seconds=5, memory_mb=512, wall_seconds=5.0) as pool:
        first = pool.parse(b"x", "first.pdf")["pid"]
        os.kill(first, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        time.sleep(0.2)
        result = pool.parse(b"hello", "second.pdf")
    assert result["filename"] == "second.pdf" and result["pid"] != first


def test_an_exception_in_the_reader_names_only_its_type(pool):
    result = pool.parse(b"raise", "broken.docx")
    assert result["reason"] == "the reader failed unexpectedly (KeyError)"
    assert_answers_normally(pool)


def test_an_unreadable_document_keeps_the_readers_words(pool):
    result = pool.parse(b"unreadable", "locked.pdf")
    assert result["reason"] == "the PDF is protected by a password"


def test_the_cpu_limit_is_per_job_not_cumulative():
    with ParserPool(
        misbehave, failure_record, workers=1, cpu_seconds=1, memory_mb=512, wall_seconds=20.0
    ) as pool:
        results = [pool.parse(b"burn 0.6", f"job{i}.pdf") for i in range(3)]
    assert [r.get("reason") for r in results] == [None, None, None]
    assert len({r["pid"] for r in results}) == 1  # the same worker ran all three


def test_two_threads_parse_at_once_and_both_get_their_answers(pool):
    results: dict[str, dict] = {}

    def call(name: str) -> None:
        results[name] = pool.parse(b"sleep 0.5", name)

    threads = [threading.Thread(target=call, args=(name,)) for name in ("a.pdf", "b.docx")]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results["a.pdf"]["filename"] == "a.pdf"
    assert results["b.docx"]["filename"] == "b.docx"
    assert results["a.pdf"]["pid"] != results["b.docx"]["pid"]
    assert time.monotonic() - started < 0.95  # in parallel, not one after the other


def test_workers_are_recycled_after_max_jobs():
    with ParserPool(
        echo, failure_record, workers=1, cpu_seconds=5, memory_mb=512, wall_seconds=5.0,
        max_jobs_per_worker=2,
    ) as pool:
        pids = [pool.parse(b"x", "f.pdf")["pid"] for _ in range(4)]
    assert pids[0] == pids[1] and pids[2] == pids[3] and pids[1] != pids[2]


def test_a_closed_pool_refuses_work():
    pool = ParserPool(echo, failure_record, workers=1, cpu_seconds=5, memory_mb=512, wall_seconds=5.0)
    pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        pool.parse(b"x", "f.pdf")
