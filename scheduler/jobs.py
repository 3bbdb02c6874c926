"""Polling jobs: one pass over each mailbox under a database lease, once or on a schedule."""
from __future__ import annotations

import logging
import random
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from intake.pipeline import FolderPlan, PassSummary, Pipeline
from intake.sources import Source, SourceError, TransientSourceError
from storage import repository

log = logging.getLogger(__name__)

LEASE_TTL = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)
HOUSEKEEPING_SECONDS = 60


@dataclass
class MailboxJob:
    """One mailbox to poll: how to open it, what to do with its folder, how often."""

    name: str
    open_source: Callable[[], Source]
    plan: FolderPlan
    poll_seconds: int
    failures: int = 0
    not_before: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))

    @property
    def lease(self) -> str:
        return f"mailbox:{self.name}"


@dataclass
class PollResult:
    summary: PassSummary
    error: str | None = None  # a class of fault in plain words, never content
    skipped: bool = False  # another process holds the mailbox's lease


def poll(job: MailboxJob, pipeline: Pipeline) -> PollResult:
    """One pass over one mailbox, if this process can take its lease; faults are reported, not raised."""
    now = datetime.now(UTC)
    if now < job.not_before:
        return PollResult(PassSummary(), skipped=True)
    try:
        with pipeline.sessions() as s:
            got = repository.acquire_lease(s, job.lease, pipeline.holder, LEASE_TTL)
            s.commit()
    except SQLAlchemyError:
        return _failed(job, "the database is unavailable")
    if not got:
        return PollResult(PassSummary(), skipped=True)
    try:
        source = job.open_source()
        try:
            summary = pipeline.run_pass(source, job.plan)
        finally:
            source.close()
        job.failures = 0
        log.info("mailbox %s: %d new, %d forms, %d duplicate, %d unreadable, %d without a form", job.name,
                 summary.new, summary.forms, summary.duplicate, summary.unreadable, summary.no_form)
        return PollResult(summary)
    except TransientSourceError as exc:
        return _failed(job, f"the mail server is unavailable ({exc})")
    except SourceError as exc:
        return _failed(job, str(exc))
    except SQLAlchemyError:
        return _failed(job, "the database is unavailable")
    finally:
        try:
            with pipeline.sessions() as s:
                repository.release_lease(s, job.lease, pipeline.holder)
                s.commit()
        except SQLAlchemyError:
            log.warning("mailbox %s: lease not released (database unavailable); it expires by itself", job.name)


def _failed(job: MailboxJob, reason: str) -> PollResult:
    """Back off exponentially (with jitter) after a transient fault; the mail stays on the server."""
    job.failures += 1
    delay = min(MAX_BACKOFF, timedelta(seconds=job.poll_seconds * 2 ** (job.failures - 1)))
    job.not_before = datetime.now(UTC) + delay * random.uniform(0.8, 1.2)
    log.warning("mailbox %s: pass failed (%s); retry after %s", job.name, reason, delay)
    summary = PassSummary()
    summary.failed = 1
    return PollResult(summary, error=reason)


def run_once(jobs: list[MailboxJob], pipeline: Pipeline) -> dict[str, PollResult]:
    """One pass over every mailbox, in order."""
    return {job.name: poll(job, pipeline) for job in jobs}


def housekeeping(jobs: list[MailboxJob], pipeline: Pipeline, scheduler: BackgroundScheduler) -> None:
    """Bring forward the next poll of a mailbox with unfinished work (a pending move, a stale claim)."""
    try:
        with pipeline.sessions() as s:
            waiting = {job.name for job in jobs if repository.unfinished(s, job.name)}
    except SQLAlchemyError:
        return  # the mailbox jobs report the fault and back off
    now = datetime.now(UTC)
    for job in jobs:
        if job.name in waiting and now >= job.not_before and (scheduled := scheduler.get_job(job.lease)):
            scheduled.modify(next_run_time=now)


def run_forever(jobs: list[MailboxJob], pipeline: Pipeline, stop: threading.Event | None = None) -> None:
    """Poll each mailbox at its interval until SIGTERM/SIGINT; the e-mail in hand is finished first."""
    stop = stop or pipeline.stop
    scheduler = BackgroundScheduler(timezone="UTC")
    for job in jobs:
        scheduler.add_job(poll, "interval", args=(job, pipeline), id=job.lease, seconds=job.poll_seconds,
                          jitter=max(1, job.poll_seconds // 10), max_instances=1, coalesce=True,
                          next_run_time=datetime.now(UTC))
    scheduler.add_job(housekeeping, "interval", args=(jobs, pipeline, scheduler), id="housekeeping",
                      seconds=HOUSEKEEPING_SECONDS, max_instances=1, coalesce=True)

    def _stop(signum: int, _frame: object) -> None:
        log.info("signal %s: finishing the e-mail in hand, then stopping", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    scheduler.start()
    try:
        stop.wait()
    finally:
        pipeline.stop.set()
        scheduler.shutdown(wait=True)
