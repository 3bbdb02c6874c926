"""Isolated parser workers: every document is parsed in a killable child with limits.

Workers are forked by a multiprocessing "forkserver": a single-threaded process started once,
which has already imported the parsing libraries (the modules of the target and failure
functions, plus any `preload`), so a new worker costs a fork, not a fresh interpreter, and the
forking process never holds locks of the service's threads.

Each worker sets RLIMIT_AS (memory_mb) and RLIMIT_CORE (0) once, and before each job moves its
RLIMIT_CPU soft limit to the processor time used so far plus cpu_seconds, so the limit is per
job. The parent enforces the wall clock by waiting on the result pipe and kills (SIGKILL) a
worker that overruns. A worker that dies for any reason is replaced and its job gets the
failure record; workers are also replaced after max_jobs_per_worker jobs.

Results come back as JSON, never pickles, so a worker subverted by a hostile document cannot
run code in the parent.
"""
from __future__ import annotations

import json
import math
import multiprocessing
import os
import queue
import resource
import signal
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from types import TracebackType

from parsers.extraction import UnreadableDocument

Target = Callable[[bytes, str], dict]
Failure = Callable[[bytes, str, str], dict]

MAX_RESULT_BYTES = 64 * 1024 * 1024  # a larger result means a runaway reader
_STOP_SECONDS = 2.0  # grace for a retiring worker before it is killed
# Workers run at a lower priority than the service, so the thread that reads, stores and files
# e-mails (short bursts between waits on the database and the disk) is not kept waiting for a core.
WORKER_NICENESS = 5


class ParserPool:
    """A fixed number of reusable, killable worker processes running `target` under limits.

    `parse` is thread-safe and blocks until a worker is free. It returns `target`'s dict, or
    `failure(data, filename, reason)` when the worker crashed, was killed by a limit, timed out,
    or `target` raised; `reason` is in plain words for a handler.
    """

    def __init__(
        self,
        target: Target,
        failure: Failure,
        *,
        workers: int,
        cpu_seconds: int,
        memory_mb: int,
        wall_seconds: float,
        max_jobs_per_worker: int = 200,
        preload: Sequence[str] = (),
    ) -> None:
        if workers < 1 or cpu_seconds < 1 or memory_mb < 1 or wall_seconds <= 0:
            raise ValueError("workers, cpu_seconds, memory_mb and wall_seconds must be positive")
        self._target = target
        self._failure = failure
        self._cpu_seconds = cpu_seconds
        self._memory_mb = memory_mb
        self._wall_seconds = wall_seconds
        self._max_jobs = max_jobs_per_worker
        self._context = multiprocessing.get_context("forkserver")
        # "__main__" too: a script's main module is then imported once by the forkserver
        # instead of once per worker (it must guard its entry point with `if __name__ ...`).
        modules = ["__main__", __name__, target.__module__, failure.__module__, *preload]
        self._context.set_forkserver_preload(list(dict.fromkeys(modules)))
        self._start_lock = threading.Lock()
        self._closing_lock = threading.Lock()
        self._idle: queue.Queue[_Slot | None] = queue.Queue()
        self._closed = False
        for _ in range(workers):
            self._idle.put(_Slot(self._start_worker()))

    def parse(self, data: bytes, filename: str) -> dict:
        """Run `target(data, filename)` in a worker; the failure record if that went wrong."""
        slot = self._idle.get()
        if slot is None:  # closed: pass the marker on to the next waiting thread
            self._idle.put(None)
            raise RuntimeError("the parser pool is closed")
        try:
            if slot.worker is None or not slot.worker.process.is_alive():
                self._renew(slot)  # died while idle: not this document's fault
            outcome, healthy = self._job(slot.worker, data, filename)
            if not healthy or slot.worker.jobs >= self._max_jobs:
                self._renew(slot)
        finally:
            with self._closing_lock:
                if not self._closed:
                    self._idle.put(slot)
                    slot = None
            if slot is not None:
                slot.replace(None)
        if isinstance(outcome, str):
            return self._failure(data, filename, outcome)
        return outcome

    def close(self) -> None:
        """Stop the idle workers now and busy ones when their job ends; `parse` then raises."""
        with self._closing_lock:
            self._closed = True
        while True:
            try:
                slot = self._idle.get_nowait()
            except queue.Empty:
                break
            if slot is not None:
                slot.replace(None)
        self._idle.put(None)

    def __enter__(self) -> ParserPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _job(self, worker: _Worker, data: bytes, filename: str) -> tuple[dict | str, bool]:
        """Run one job: (the result dict or a failure reason, whether the worker can go on)."""
        worker.jobs += 1
        try:
            worker.conn.send_bytes(filename.encode("utf-8", "surrogatepass"))
            worker.conn.send_bytes(data)
            if not worker.conn.poll(self._wall_seconds):
                worker.process.kill()
                return f"the document took longer than {self._wall_seconds:g} s to read", False
            message = worker.conn.recv_bytes(MAX_RESULT_BYTES)
        except (EOFError, ConnectionError):
            return self._death_reason(worker), False
        except OSError:  # longer than MAX_RESULT_BYTES
            worker.process.kill()
            return "the reader produced more output than can be accepted", False
        try:
            reply = json.loads(message)
            return reply["ok"] if "ok" in reply else str(reply["error"]), not reply.get("fatal")
        except (ValueError, KeyError, TypeError):
            worker.process.kill()
            return "the reader produced output that cannot be accepted", False

    def _death_reason(self, worker: _Worker) -> str:
        """Plain words for why a worker stopped in the middle of a job."""
        worker.process.join(_STOP_SECONDS)
        code = worker.process.exitcode
        if code is None:  # closed its pipe but lives on
            worker.process.kill()
            return "the reader stopped answering"
        if code == -signal.SIGXCPU:
            return f"the document used more than {self._cpu_seconds} s of processor time"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return f"the reader crashed (signal {name})"
        return f"the reader stopped unexpectedly (exit status {code})"

    def _renew(self, slot: _Slot) -> None:
        """Stop the slot's worker (if any), then start a fresh one in its place."""
        slot.replace(None)
        slot.replace(self._start_worker())

    def _start_worker(self) -> _Worker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_worker_main,
            args=(child_end, self._target, self._cpu_seconds, self._memory_mb),
            name="cpi-parser",
            daemon=True,
        )
        with self._start_lock:
            process.start()
        child_end.close()
        return _Worker(process, parent_end)


class _Slot:
    """A place in the pool, holding a worker or none (after a failed start)."""

    def __init__(self, worker: _Worker | None) -> None:
        self.worker = worker

    def replace(self, worker: _Worker | None) -> None:
        """Stop the current worker, if any, and hold `worker` instead."""
        if self.worker is not None:
            self.worker.stop()
        self.worker = worker


class _Worker:
    """A worker process, the parent's end of its pipe and the jobs it has been given."""

    def __init__(self, process: multiprocessing.process.BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.jobs = 0

    def stop(self) -> None:
        """Close the pipe (the worker exits on end of file); kill it if it does not."""
        self.conn.close()
        self.process.join(_STOP_SECONDS)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
        self.process.close()


def _worker_main(conn: Connection, target: Target, cpu_seconds: int, memory_mb: int) -> None:
    """Worker loop: read (filename, data), run target under limits, reply in JSON."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the service's Ctrl-C is for the parent
    os.nice(WORKER_NICENESS)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _, memory_hard = resource.getrlimit(resource.RLIMIT_AS)
    memory_limit = _capped(memory_mb * 1024 * 1024, memory_hard)
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    out_of_memory = json.dumps(
        {"error": f"reading the document needed more than {memory_mb} MB of memory", "fatal": True}
    ).encode()
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_hard))
    while True:
        try:
            filename = conn.recv_bytes().decode("utf-8", "surrogatepass")
            data = conn.recv_bytes()
        except EOFError:
            return
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_limit = math.ceil(usage.ru_utime + usage.ru_stime) + cpu_seconds
        resource.setrlimit(resource.RLIMIT_CPU, (_capped(cpu_limit, cpu_hard), cpu_hard))
        try:
            reply = json.dumps({"ok": target(data, filename)}).encode()
        except MemoryError:
            conn.send_bytes(out_of_memory)
            return  # the heap may be in a poor state: a fresh worker takes over
        except UnreadableDocument as unreadable:
            reply = json.dumps({"error": str(unreadable)}).encode()
        except Exception as error:  # any reader fault becomes a failure record, never a crash
            reply = json.dumps({"error": f"the reader failed unexpectedly ({type(error).__name__})"}).encode()
        conn.send_bytes(reply)


def _capped(limit: int, hard: int) -> int:
    """`limit`, but no higher than a finite hard limit."""
    return limit if hard == resource.RLIM_INFINITY else min(limit, hard)
