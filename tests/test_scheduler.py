"""Polling jobs: leases keep a mailbox to one poller; housekeeping brings unfinished work forward."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler

from intake.message import MailLimits
from intake.pipeline import FolderPlan, Pipeline
from scheduler.jobs import MailboxJob, housekeeping, poll
from storage import repository
from storage.blobs import BlobStore
from storage.db import make_engine, session_factory, upgrade
from storage.models import Email


def _pipeline(url: str, tmp_path: Path, holder: str) -> Pipeline:
    upgrade(url)
    return Pipeline(sessions=session_factory(make_engine(url)), blobs=BlobStore(tmp_path / "blobs"),
                    parse=lambda data, name: {}, limits=MailLimits(), holder=holder)


class _Unreachable:
    def __call__(self):
        raise AssertionError("a mailbox leased to another process must not be opened")


def test_a_mailbox_leased_elsewhere_is_skipped(database_url, tmp_path):
    other = _pipeline(database_url, tmp_path, "other-process")
    with other.sessions() as s:
        assert repository.acquire_lease(s, "mailbox:partners", "other-process", timedelta(minutes=5))
        s.commit()
    mine = _pipeline(database_url, tmp_path, "this-process")
    job = MailboxJob(name="partners", open_source=_Unreachable(), plan=FolderPlan(mailbox="partners"),
                     poll_seconds=60)
    result = poll(job, mine)
    assert result.skipped and result.error is None


def test_housekeeping_brings_forward_a_mailbox_with_a_pending_move(database_url, tmp_path):
    pipeline = _pipeline(database_url, tmp_path, "this-process")
    with pipeline.sessions() as s:
        taken = repository.claim(s, "partners", "INBOX", 1, ["7"], "this-process", timedelta(minutes=5))
        email = s.get(Email, taken["7"])
        email.state, email.post_action, email.post_action_target = "no_form", "pending", "review"
        s.commit()
    jobs = [MailboxJob(name=n, open_source=_Unreachable(), plan=FolderPlan(mailbox=n), poll_seconds=3600)
            for n in ("partners", "quiet")]
    scheduler = BackgroundScheduler(timezone="UTC")
    later = datetime.now(UTC) + timedelta(hours=1)
    for job in jobs:
        scheduler.add_job(print, "interval", id=job.lease, hours=1, next_run_time=later)
    scheduler.start(paused=True)
    try:
        housekeeping(jobs, pipeline, scheduler)
        assert scheduler.get_job("mailbox:partners").next_run_time <= datetime.now(UTC)
        assert scheduler.get_job("mailbox:quiet").next_run_time >= later - timedelta(seconds=1)
    finally:
        scheduler.shutdown(wait=False)
