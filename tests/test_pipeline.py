"""Mail intake against a real Dovecot and a real database: exactly once, whatever fails."""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import mail_samples as ms
import pytest
from sqlalchemy import func, select

from intake.imap import ImapSource
from intake.message import MailLimits
from intake.pipeline import FolderPlan, Pipeline
from parsers.config import ParserConfig
from parsers.parse import open_pool
from parsers.pool import ParserPool
from scheduler.jobs import MailboxJob, poll
from storage.blobs import BlobStore
from storage.db import make_engine, session_factory, upgrade
from storage.models import Email, Item
from storage.repository import export_items

PARSER = ParserConfig(workers=1, cpu_seconds=20, memory_mb=1024, wall_seconds=30)
FORM = ("v3-docx-template.docx", ms.example_form("v3-docx-template.docx"))
OTHER_FORM = ("v2-docx-typed.docx", ms.example_form("v2-docx-typed.docx"))


@pytest.fixture(scope="module")
def pool() -> Iterator[ParserPool]:
    with open_pool(PARSER) as p:
        yield p


@pytest.fixture
def pipeline(database_url: str, tmp_path: Path, pool: ParserPool) -> Iterator[Pipeline]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield Pipeline(sessions=session_factory(engine), blobs=BlobStore(tmp_path / "blobs"), parse=pool.parse,
                   limits=MailLimits(), holder="test-run")
    engine.dispose()


def job(user, plan: FolderPlan | None = None, **account) -> MailboxJob:
    plan = plan or FolderPlan(mailbox="partners")
    return MailboxJob(name=plan.mailbox, open_source=lambda: ImapSource(user.account(**account)), plan=plan,
                      poll_seconds=60)


def exported(pipeline: Pipeline) -> list[dict]:
    with pipeline.sessions() as s:
        return export_items(s)


def uids_in(user, folder: str) -> list[str]:
    with user.client() as box:
        if not box.folder.exists(folder):
            return []
        box.folder.set(folder)
        return box.uids()


def test_new_mail_is_filed_once_and_moved(imap_user, pipeline):
    imap_user.append(ms.email_with_forms([FORM], subject="Concern about a pupil", message_id="<a1@school.sch.uk>"))
    imap_user.append(ms.email_without_form(message_id="<a2@school.sch.uk>"))
    first = poll(job(imap_user), pipeline)
    assert first.error is None
    assert (first.summary.new, first.summary.forms, first.summary.no_form) == (2, 1, 1)
    items = exported(pipeline)
    assert sorted(i["state"] for i in items) == ["filed", "no_form"]
    filed = next(i for i in items if i["state"] == "filed")
    assert filed["form_version"] == "v3"
    assert filed["subject"] == "Concern about a pupil"
    assert filed["message_id"] == "a1@school.sch.uk"
    assert filed["reference"].startswith("CPI-")
    no_form = next(i for i in items if i["state"] == "no_form")
    assert "call me back" in no_form["body_text"]
    assert uids_in(imap_user, "INBOX") == []
    assert len(uids_in(imap_user, "CPI.Processed")) == 1
    assert len(uids_in(imap_user, "CPI.Needs a person")) == 1
    second = poll(job(imap_user), pipeline)
    assert second.summary.new == 0
    assert len(exported(pipeline)) == 2


def test_mail_is_never_marked_seen_before_it_is_filed(imap_user, pipeline):
    imap_user.append(ms.email_with_forms([FORM]))
    plan = FolderPlan(mailbox="partners", processed_folder=None, review_folder=None)  # flag + seen, no move
    poll(job(imap_user, plan), pipeline)
    with imap_user.client() as box:
        box.folder.set("INBOX")
        flags = [m.flags for m in box.fetch(mark_seen=False, headers_only=True)]
    assert flags == [("\\Seen",)]
    assert [i["state"] for i in exported(pipeline)] == ["filed"]


def _doomed_pass(database_url: str, blobs: Path, account, die_at: str) -> None:
    """In a child: run a pass that dies (as a power cut would) while parsing or just after filing."""
    from parsers.parse import parse_document

    def parse(data: bytes, name: str) -> dict:
        return os._exit(18) if die_at == "parse" else parse_document(data, name, PARSER)

    if die_at == "post_action":
        Pipeline._post_actions = lambda *a, **k: os._exit(17)  # type: ignore[method-assign]
    pipe = Pipeline(sessions=session_factory(make_engine(database_url)), blobs=BlobStore(blobs), parse=parse,
                    limits=MailLimits(), holder="doomed")
    pipe.run_pass(ImapSource(account), FolderPlan(mailbox="partners"))


def _kill_a_pass(user, database_url: str, tmp_path: Path, die_at: str) -> int | None:
    child = multiprocessing.get_context("fork").Process(
        target=_doomed_pass, args=(database_url, tmp_path / "blobs", user.account(), die_at))
    child.start()
    child.join(120)
    return child.exitcode


def test_crash_between_commit_and_move_files_nothing_twice(imap_user, pipeline, database_url, tmp_path):
    imap_user.append(ms.email_with_forms([FORM], message_id="<crash@school.sch.uk>"))
    assert _kill_a_pass(imap_user, database_url, tmp_path, "post_action") == 17
    assert len(uids_in(imap_user, "INBOX")) == 1  # filed but not moved
    assert [i["state"] for i in exported(pipeline)] == ["filed"]
    again = poll(job(imap_user), pipeline)
    assert again.error is None
    assert again.summary.new == 0 and again.summary.post_actions == 1
    assert [i["state"] for i in exported(pipeline)] == ["filed"]
    assert uids_in(imap_user, "INBOX") == []
    assert len(uids_in(imap_user, "CPI.Processed")) == 1


def test_crash_before_filing_takes_the_mail_again(imap_user, pipeline, database_url, tmp_path):
    imap_user.append(ms.email_with_forms([FORM], message_id="<crash2@school.sch.uk>"))
    assert _kill_a_pass(imap_user, database_url, tmp_path, "parse") == 18
    assert exported(pipeline) == []
    again = poll(job(imap_user), pipeline)
    assert again.summary.new == 1 and again.summary.forms == 1
    assert [i["state"] for i in exported(pipeline)] == ["filed"]
    with pipeline.sessions() as s:
        assert s.scalar(select(Email.attempts)) == 2


def test_connection_dropped_mid_fetch_loses_nothing(imap_user, imap_proxy, pipeline):
    for n in range(3):
        imap_user.append(ms.email_with_forms([FORM], message_id=f"<drop{n}@school.sch.uk>"))
    imap_proxy.drop_after(30_000)  # cut while the first message body is on the wire
    broken = poll(job(imap_user, port=imap_proxy.port), pipeline)
    assert broken.error is not None and "mail server" in broken.error
    assert len(uids_in(imap_user, "INBOX")) + len(uids_in(imap_user, "CPI.Processed")) == 3
    retry = job(imap_user)
    assert poll(retry, pipeline).error is None
    items = exported(pipeline)
    assert sorted(i["message_id"] for i in items) == ["drop0@school.sch.uk", "drop1@school.sch.uk",
                                                       "drop2@school.sch.uk"]
    assert uids_in(imap_user, "INBOX") == []


def test_database_unavailable_for_a_pass_leaves_mail_on_the_server(imap_user, pipeline, tmp_path):
    imap_user.append(ms.email_with_forms([FORM], message_id="<db@school.sch.uk>"))
    down = make_engine("postgresql+psycopg://nobody:x@127.0.0.1:9/none?connect_timeout=2")
    broken = replace(pipeline, sessions=session_factory(down))
    result = poll(job(imap_user), broken)
    assert result.error == "the database is unavailable"
    assert len(uids_in(imap_user, "INBOX")) == 1
    assert poll(job(imap_user), pipeline).summary.forms == 1
    assert [i["state"] for i in exported(pipeline)] == ["filed"]


def test_same_mail_sent_twice_is_a_duplicate(imap_user, pipeline):
    raw = ms.email_with_forms([FORM, OTHER_FORM], message_id="<twice@school.sch.uk>")
    imap_user.append(raw)
    imap_user.append(raw)
    result = poll(job(imap_user), pipeline)
    assert (result.summary.new, result.summary.duplicate, result.summary.forms) == (1, 1, 2)
    items = exported(pipeline)
    filed = [i for i in items if i["state"] == "filed"]
    dup = [i for i in items if i["state"] == "duplicate"]
    assert len(filed) == 2 and len(dup) == 1
    assert dup[0]["duplicate_of"] == filed[0]["reference"]


def test_same_mail_in_two_watched_folders_is_filed_once(imap_user, pipeline):
    raw = ms.email_with_forms([FORM], message_id="<copied@school.sch.uk>")
    with imap_user.client() as box:
        box.folder.create("Partners")
    imap_user.append(raw)
    imap_user.append(raw, folder="Partners")
    poll(job(imap_user, FolderPlan(mailbox="partners")), pipeline)
    poll(job(imap_user, FolderPlan(mailbox="partners-2", folder="Partners")), pipeline)
    assert sorted(i["state"] for i in exported(pipeline)) == ["duplicate", "filed"]


def test_uidvalidity_change_rescans_without_refiling(imap_user, pipeline, dovecot):
    plan = FolderPlan(mailbox="partners", processed_folder=None, review_folder=None)  # mail stays in INBOX
    for n in range(2):
        imap_user.append(ms.email_with_forms([FORM], message_id=f"<uv{n}@school.sch.uk>"))
    assert poll(job(imap_user, plan), pipeline).summary.forms == 2
    dovecot.set_uidvalidity(imap_user.name, "INBOX", 4242)
    again = poll(job(imap_user, plan), pipeline)
    assert again.error is None
    assert again.summary.forms == 0 and again.summary.duplicate == 2
    items = exported(pipeline)
    assert sorted(i["state"] for i in items) == ["duplicate", "duplicate", "filed", "filed"]
    with pipeline.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Item).where(Item.state == "filed")) == 2


@pytest.mark.parametrize("shape", ms.SHAPES)
def test_every_attachment_shape_is_filed(imap_user, pipeline, shape):
    raw = ms.email_with_forms([FORM, OTHER_FORM], shape=shape, extras=("signature-image", "calendar"))
    imap_user.append(raw)
    result = poll(job(imap_user), pipeline)
    assert result.summary.forms == 2, shape
    items = exported(pipeline)
    assert sorted(i["form_version"] for i in items) == ["v2", "v3"]
    assert all(i["state"] == "filed" for i in items)


def test_oversized_attachment_is_filed_unreadable_with_its_reason(imap_user, pipeline):
    imap_user.append(ms.email_with_forms([FORM]))
    small = replace(pipeline, limits=MailLimits(max_attachment_bytes=1000))
    result = poll(job(imap_user), small)
    assert result.summary.unreadable == 1
    [item] = exported(pipeline)
    assert item["state"] == "unreadable"
    assert "larger than" in item["reason"]
    assert len(uids_in(imap_user, "CPI.Needs a person")) == 1


def test_hostile_attachment_goes_to_a_person(imap_user, pipeline):
    import hostile

    imap_user.append(ms.email_with_forms([("bomb.docx", hostile.docx_zip_bomb()), FORM]))
    poll(job(imap_user), pipeline)
    states = sorted((i["state"], i["status"]) for i in exported(pipeline))
    assert states == [("filed", "current"), ("unreadable", "unreadable")]
    assert len(uids_in(imap_user, "CPI.Needs a person")) == 1


@pytest.mark.slow
def test_backlog_of_a_thousand_messages_in_one_pass(imap_user, pipeline):
    small = ms.example_form("v3-pdf-form.pdf")
    with imap_user.client() as box:
        for n in range(1000):
            raw = ms.email_with_forms([("form.pdf", small)], message_id=f"<backlog{n}@school.sch.uk>") \
                if n % 10 == 0 else ms.email_without_form(body=f"note {n}")
            box.append(raw, "INBOX")
    fetched: list[int] = []

    class Counting(ImapSource):
        def fetch(self, uids):
            fetched.append(len(uids))
            return super().fetch(uids)

    backlog = MailboxJob(name="partners", open_source=lambda: Counting(imap_user.account()),
                         plan=FolderPlan(mailbox="partners", batch_size=100), poll_seconds=60)
    result = poll(backlog, pipeline)
    assert result.error is None
    assert max(fetched) == 100 and sum(fetched) == 1000  # bounded batches, never a mailbox-sized FETCH
    assert (result.summary.new, result.summary.forms, result.summary.no_form) == (1000, 100, 900)
    assert uids_in(imap_user, "INBOX") == []


def test_encrypted_mail_is_filed_unreadable_for_a_person(imap_user, pipeline):
    armored = "-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA0x0\r\n-----END PGP MESSAGE-----\r\n"
    raw = ("From: Safeguarding <safeguarding@oakfield.sch.uk>\r\nTo: cpi@police.example\r\n"
           "Subject: CPI form (encrypted)\r\nMessage-ID: <enc@oakfield.sch.uk>\r\nMIME-Version: 1.0\r\n"
           'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b"\r\n\r\n'
           "--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
           f'--b\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n{armored}--b--\r\n')
    imap_user.append(raw.encode())
    result = poll(job(imap_user), pipeline)
    assert result.summary.unreadable == 1
    [item] = exported(pipeline)
    assert item["state"] == "unreadable"
    assert "encrypted" in item["reason"]
    assert len(uids_in(imap_user, "CPI.Needs a person")) == 1
