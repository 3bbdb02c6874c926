"""Storage on real SQLite files and a real PostgreSQL: exactly-once claims, references, leases, export."""
from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import repository
from storage.db import make_engine, session_factory, upgrade
from storage.models import Base, Email, Event, Item, MailboxFolder
from storage.repository import (
    NewItem,
    acquire_lease,
    claim,
    due_retries,
    export_items,
    file_items,
    log_event,
    note_folder,
    originals,
    pending_post_actions,
    release_lease,
    renew_lease,
    settled_uids,
)

MINUTE = timedelta(minutes=1)
SHORT = timedelta(seconds=0.3)
KEY = ("partners", "INBOX", 1700000000, "42")
TABLES = {"mailbox_folders", "emails", "attachments", "items", "reference_counters", "events", "leases"}


def _claim(session: Session, holder: str = "worker-a", ttl: timedelta = MINUTE, uid: str = KEY[3]) -> Email | None:
    taken = claim(session, *KEY[:3], [uid], holder=holder, ttl=ttl)
    return session.get(Email, taken[uid], populate_existing=True) if uid in taken else None


def _record(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "document": {"filename": "cpi.docx", "sha256": "ab" * 32, "format": "docx", "pages": 3},
        "status": "out_of_date", "form_version": "v2", "flags": ["out_of_date_form", "incomplete"],
        "missing": ["consent.mash_referral_made"], "submitter": {"organisation": "Northside School"},
        "subjects": [], "categories": ["drug_related_harm", "organised_crime"],
    }
    return record | overrides


def _filed_email(session: Session, uid: str, **fields: Any) -> Email:
    email = _claim(session, uid=uid)
    assert email is not None
    for name, value in fields.items():
        setattr(email, name, value)
    session.flush()
    return email


def _in_threads(count: int, work: Callable[[], Any]) -> list[Any]:
    """Run `work` in `count` threads released together; their results."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait(timeout=30)
        results[index] = work()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _in_processes(count: int, target: Callable[..., None], *args: Any) -> list[Any]:
    """Run `target(*args, barrier, results)` in `count` fresh interpreters released together."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(count), context.Queue()
    processes = [context.Process(target=target, args=(*args, barrier, results)) for _ in range(count)]
    for process in processes:
        process.start()
    outcome = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return outcome


def _claim_in_process(url: str, barrier: Any, results: Any) -> None:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        barrier.wait(timeout=60)
        email = _claim(session, holder=f"process-{os.getpid()}")
        session.commit()
        results.put(email.claimed_by if email else None)
    engine.dispose()


def _lease_in_process(url: str, barrier: Any, results: Any) -> None:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        barrier.wait(timeout=60)
        won = acquire_lease(session, "mailbox:partners", f"process-{os.getpid()}", timedelta(seconds=2))
        session.commit()
        results.put(won)
    engine.dispose()


# --- schema -------------------------------------------------------------------------------------------

def test_upgrade_creates_the_schema_on_an_empty_database_and_is_idempotent(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            assert TABLES <= set(inspect(connection).get_table_names())
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0001"]
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def test_sqlite_engine_makes_its_folder_and_sets_wal_foreign_keys_and_busy_timeout(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            pragmas = {p: connection.exec_driver_sql(f"PRAGMA {p}").scalar()
                       for p in ("journal_mode", "foreign_keys", "busy_timeout")}
        assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}
        assert Path(engine.url.database).parent.is_dir()
    finally:
        engine.dispose()


def test_times_come_back_in_utc_and_naive_times_are_refused(db_session: Session) -> None:
    email = _claim(db_session)
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(Email, email.id)
    assert stored.claim_expires_at.utcoffset() == timedelta(0)
    stored.received_at = datetime(2026, 3, 1, 12, 0)
    with pytest.raises(Exception, match="naive datetime"):
        db_session.flush()


def test_storage_imports_nothing_of_mail_or_parsing() -> None:
    probe = ("import sys, storage.db, storage.blobs, storage.models, storage.repository\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'intake', 'parsers', 'imap_tools', 'imaplib'}))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- claims -------------------------------------------------------------------------------------------

def test_a_message_is_claimed_once(db_session: Session) -> None:
    first = _claim(db_session, holder="worker-a")
    db_session.commit()
    assert first is not None and (first.state, first.attempts, first.claimed_by) == ("claimed", 1, "worker-a")
    assert _claim(db_session, holder="worker-b") is None
    assert _claim(db_session, holder="worker-a") is None
    assert list(claim(db_session, "partners", "INBOX", 1700000001, ["42"], holder="worker-b", ttl=MINUTE)) == ["42"]


def test_a_batch_is_claimed_in_one_go_leaving_out_what_is_filed_or_held(db_session: Session) -> None:
    held = _claim(db_session, holder="worker-b", uid="1")
    filed = _claim(db_session, uid="2")
    expired = _claim(db_session, holder="worker-c", ttl=SHORT, uid="3")
    filed.state = "filed"
    db_session.commit()
    time.sleep(SHORT.total_seconds() + 0.1)
    taken = claim(db_session, *KEY[:3], ["1", "2", "3", "4", "4"], holder="worker-a", ttl=MINUTE)
    db_session.commit()
    assert sorted(taken) == ["3", "4"] and taken["3"] == expired.id
    db_session.expire_all()
    assert [(e.uid, e.claimed_by, e.attempts) for e in db_session.scalars(select(Email).order_by(Email.uid))] == [
        ("1", "worker-b", 1), ("2", "worker-a", 1), ("3", "worker-a", 2), ("4", "worker-a", 1)]
    assert held is not None and claim(db_session, *KEY[:3], [], holder="worker-a", ttl=MINUTE) == {}


def test_a_filed_message_is_never_claimed_again_even_after_its_claim_ran_out(db_session: Session) -> None:
    email = _claim(db_session, ttl=SHORT)
    email.state, email.post_action = "filed", "pending"
    db_session.commit()
    time.sleep(SHORT.total_seconds() + 0.1)
    assert _claim(db_session, holder="worker-b") is None
    assert due_retries(db_session, datetime.now(timezone.utc)) == []


def test_a_claim_left_by_a_crash_is_taken_again_once_it_expires(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    with sessions() as crashed:
        assert _claim(crashed, holder="crashed-worker", ttl=SHORT) is not None
        crashed.commit()
    with sessions() as session:
        assert _claim(session, holder="worker-b") is None
        time.sleep(SHORT.total_seconds() + 0.1)
        assert [e.claimed_by for e in due_retries(session, datetime.now(timezone.utc))] == ["crashed-worker"]
        again = _claim(session, holder="worker-b")
        session.commit()
        assert again is not None and (again.claimed_by, again.attempts) == ("worker-b", 2)
        assert _claim(session, holder="worker-c") is None


def test_a_retry_waits_for_its_next_attempt_time(db_session: Session) -> None:
    email = _claim(db_session)
    now = datetime.now(timezone.utc)
    email.claim_expires_at, email.next_attempt_at, email.last_error = now, now + SHORT, "imap_timeout"
    db_session.commit()
    assert _claim(db_session, holder="worker-b") is None
    assert due_retries(db_session, datetime.now(timezone.utc)) == []
    time.sleep(SHORT.total_seconds() + 0.1)
    assert [e.id for e in due_retries(db_session, datetime.now(timezone.utc))] == [email.id]
    assert _claim(db_session, holder="worker-b") is not None


def test_threads_claiming_the_same_message_exactly_one_wins(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)

    def attempt() -> str | None:
        with sessions() as session:
            email = _claim(session, holder=threading.current_thread().name)
            session.commit()
            return email.claimed_by if email else None

    winners = [w for w in _in_threads(4, attempt) if w]
    assert len(winners) == 1
    with sessions() as session:
        assert session.scalars(select(Email.claimed_by)).all() == winners


def test_threads_taking_over_an_expired_claim_exactly_one_wins(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    with sessions() as session:
        _claim(session, holder="crashed-worker", ttl=SHORT)
        session.commit()
    time.sleep(SHORT.total_seconds() + 0.1)

    def attempt() -> bool:
        with sessions() as session:
            won = _claim(session, holder=threading.current_thread().name) is not None
            session.commit()
            return won

    assert sum(_in_threads(4, attempt)) == 1
    with sessions() as session:
        assert session.scalars(select(Email.attempts)).all() == [2]


def test_processes_claiming_the_same_message_exactly_one_wins(database_url: str) -> None:
    upgrade(database_url)
    winners = [w for w in _in_processes(3, _claim_in_process, database_url) if w]
    assert len(winners) == 1
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            assert session.scalars(select(Email.claimed_by)).all() == winners
    finally:
        engine.dispose()


def test_a_folder_scan_notices_a_uidvalidity_change(db_session: Session) -> None:
    assert note_folder(db_session, "partners", "INBOX", 7) is False
    assert note_folder(db_session, "partners", "INBOX", 7) is False
    assert note_folder(db_session, "partners", "Archive", 9) is False
    assert note_folder(db_session, "partners", "INBOX", 8) is True
    db_session.commit()
    folders = db_session.scalars(select(MailboxFolder).order_by(MailboxFolder.folder)).all()
    assert [(f.folder, f.uidvalidity) for f in folders] == [("Archive", 9), ("INBOX", 8)]
    assert all(f.last_scan_at is not None for f in folders)


def test_settled_uids_are_those_in_a_final_state(db_session: Session) -> None:
    _filed_email(db_session, "1", state="filed")
    _filed_email(db_session, "2", state="duplicate")
    _filed_email(db_session, "3")
    db_session.commit()
    assert settled_uids(db_session, *KEY[:3]) == {"1", "2"}
    assert settled_uids(db_session, "partners", "INBOX", 1) == set()


# --- filing -------------------------------------------------------------------------------------------

def test_references_are_unique_and_sequential_per_year(db_session: Session) -> None:
    in_2026 = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
    first = _filed_email(db_session, "1")
    second = _filed_email(db_session, "2")
    items = file_items(db_session, [NewItem(first.id, None, "filed", _record())] * 2, now=in_2026)
    items += file_items(db_session, [NewItem(second.id, None, "no_form", {"body_text": "see attached"})],
                        now=in_2026)
    next_year = file_items(db_session, [NewItem(second.id, None, "filed", _record())],
                           now=in_2026.replace(year=2027))
    db_session.commit()
    assert [i.reference for i in items] == ["CPI-2026-000001", "CPI-2026-000002", "CPI-2026-000003"]
    assert [i.reference for i in next_year] == ["CPI-2027-000001"]
    with pytest.raises(IntegrityError):
        db_session.add(Item(email_id=first.id, reference="CPI-2026-000001", state="filed",
                            received_at=in_2026, record={}))
        db_session.flush()


def test_items_of_several_e_mails_filed_together_keep_their_e_mail_and_its_date(db_session: Session) -> None:
    sent = datetime(2026, 11, 2, 7, 45, tzinfo=timezone.utc)
    first, second = _filed_email(db_session, "1"), _filed_email(db_session, "2")
    items = file_items(db_session, [NewItem(first.id, None, "filed", _record(), received_at=sent),
                                    NewItem(second.id, None, "no_form", {"body_text": "see attached"})])
    db_session.commit()
    year = datetime.now(timezone.utc).year
    assert [(i.email_id, i.reference) for i in items] == [(first.id, f"CPI-{year}-000001"),
                                                          (second.id, f"CPI-{year}-000002")]
    assert items[0].received_at == sent and items[1].received_at > sent


def test_references_filed_at_the_same_time_never_collide(db_engine: Engine) -> None:
    sessions = session_factory(db_engine)
    with sessions() as session:
        emails = [_filed_email(session, str(uid)) for uid in range(4)]
        session.commit()
    remaining = list(emails)
    lock = threading.Lock()

    def file_one() -> str:
        with lock:
            email = remaining.pop()
        with sessions() as session:
            (item,) = file_items(session, [NewItem(email.id, None, "filed", _record(), received_at=email.received_at)])
            session.commit()
            return item.reference

    references = _in_threads(4, file_one)
    year = datetime.now(timezone.utc).year
    assert sorted(references) == [f"CPI-{year}-{n:06d}" for n in range(1, 5)]


def test_filed_items_are_searchable_by_flags_categories_and_organisation(db_session: Session) -> None:
    email = _filed_email(db_session, "1", received_at=datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc))
    (item,) = file_items(db_session, [NewItem(email.id, None, "filed", _record(), received_at=email.received_at)])
    db_session.commit()
    assert (item.status, item.form_version, item.organisation) == ("out_of_date", "v2", "Northside School")
    assert item.received_at == email.received_at
    found = db_session.scalars(select(Item.id).where(Item.flags.like("%,incomplete,%"),
                                                     Item.categories.like("%,organised_crime,%"))).all()
    assert found == [item.id]
    assert db_session.scalars(select(Item.id).where(Item.flags.like("%,duplicate,%"))).all() == []
    with pytest.raises(ValueError):
        file_items(db_session, [NewItem(email.id, None, "claimed", _record(), received_at=email.received_at)])


def test_a_duplicate_is_found_by_content_key_among_filed_mail_only(db_session: Session) -> None:
    original = _filed_email(db_session, "1", content_key="c" * 64, state="filed")
    _filed_email(db_session, "2", content_key="c" * 64, state="duplicate", duplicate_of=original.id)
    in_progress = _filed_email(db_session, "3", content_key="d" * 64)
    later = _filed_email(db_session, "4", content_key="c" * 64)
    assert originals(db_session, ["c" * 64, "d" * 64, "e" * 64]) == {"c" * 64: original.id}
    assert later.state == in_progress.state == "claimed"
    assert originals(db_session, []) == {}


def test_export_gives_each_record_with_its_e_mail_and_the_original_of_a_duplicate(db_session: Session) -> None:
    received = datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc)
    first = _filed_email(db_session, "1", state="filed", sender="head@northside.sch.uk", subject="CPI form",
                         message_id="<a@northside.sch.uk>", received_at=received)
    (original,) = file_items(db_session, [NewItem(first.id, None, "filed", _record(), received_at=first.received_at)])
    again = _filed_email(db_session, "2", state="duplicate", sender="head@northside.sch.uk", subject="Fwd: CPI form",
                         message_id="<a@northside.sch.uk>", received_at=received, duplicate_of=first.id)
    file_items(db_session, [NewItem(again.id, None, "duplicate", {}, received, duplicate_of_item=original.id)])
    db_session.commit()

    exported = json.loads(json.dumps(export_items(db_session)))
    year = datetime.now(timezone.utc).year
    assert exported[0] == _record() | {
        "reference": f"CPI-{year}-000001", "received_at": "2026-11-21T08:00:00+00:00",
        "mailbox": "partners", "sender": "head@northside.sch.uk", "message_id": "<a@northside.sch.uk>",
        "subject": "CPI form", "state": "filed", "duplicate_of": None,
    }
    assert (exported[1]["state"], exported[1]["subject"], exported[1]["duplicate_of"]) == (
        "duplicate", "Fwd: CPI form", f"CPI-{year}-000001")
    assert list(exported[0])[:3] == ["document", "status", "form_version"]


def test_export_finds_the_original_through_the_e_mail_when_the_item_does_not_name_it(db_session: Session) -> None:
    first = _filed_email(db_session, "1", state="filed")
    references = [i.reference for i in file_items(db_session, [NewItem(first.id, None, "filed", _record())] * 2)]
    again = _filed_email(db_session, "2", state="duplicate", duplicate_of=first.id)
    file_items(db_session, [NewItem(again.id, None, "duplicate", {"duplicate_of_email": first.id})])
    db_session.commit()
    assert [e["duplicate_of"] for e in export_items(db_session)] == [None, None, references[0]]


def test_pending_post_actions_are_listed_per_mailbox(db_session: Session) -> None:
    done = _filed_email(db_session, "1", state="filed", post_action="done", post_action_target="processed")
    pending = _filed_email(db_session, "2", state="unreadable", post_action="pending", post_action_target="review")
    db_session.add(Email(mailbox="other", folder="INBOX", uidvalidity=1, uid="2", claimed_by="w",
                         claim_expires_at=datetime.now(timezone.utc), post_action="pending", state="filed"))
    db_session.commit()
    assert [e.id for e in pending_post_actions(db_session, "partners")] == [pending.id]
    assert done.id not in [e.id for e in pending_post_actions(db_session, "other")]


# --- events -------------------------------------------------------------------------------------------

def test_the_event_log_is_append_only(db_session: Session) -> None:
    email = _claim(db_session)
    log_event(db_session, "intake", "claimed", email_id=email.id, attempts=1)
    log_event(db_session, "scheduler", "pass_done", new=2, duplicate=0)
    db_session.commit()
    events = db_session.scalars(select(Event).order_by(Event.id)).all()
    assert [(e.component, e.event, e.email_id, e.detail) for e in events] == [
        ("intake", "claimed", email.id, {"attempts": 1}),
        ("scheduler", "pass_done", None, {"new": 2, "duplicate": 0}),
    ]
    assert [name for name in vars(repository) if "event" in name.lower()] == ["Event", "log_event"]
    events[0].event = "changed"
    with pytest.raises(PermissionError):
        db_session.flush()
    db_session.rollback()
    db_session.delete(events[1])
    with pytest.raises(PermissionError):
        db_session.flush()


# --- leases -------------------------------------------------------------------------------------------

def test_a_lease_excludes_a_second_holder_until_it_expires(database_url: str) -> None:
    upgrade(database_url)
    engines = [make_engine(database_url), make_engine(database_url)]
    try:
        one, two = (session_factory(engine)() for engine in engines)
        assert acquire_lease(one, "mailbox:partners", "host-1", SHORT)
        one.commit()
        assert not acquire_lease(two, "mailbox:partners", "host-2", MINUTE)
        two.commit()
        assert acquire_lease(one, "mailbox:partners", "host-1", SHORT) and renew_lease(one, "mailbox:partners",
                                                                                       "host-1", SHORT)
        one.commit()
        time.sleep(SHORT.total_seconds() + 0.1)
        assert acquire_lease(two, "mailbox:partners", "host-2", MINUTE)
        two.commit()
        assert not renew_lease(one, "mailbox:partners", "host-1", MINUTE)
        assert not release_lease(one, "mailbox:partners", "host-1")
        one.commit()
        assert release_lease(two, "mailbox:partners", "host-2")
        two.commit()
        assert acquire_lease(one, "mailbox:partners", "host-1", MINUTE)
        one.commit()
        one.close()
        two.close()
    finally:
        for engine in engines:
            engine.dispose()


def test_processes_racing_for_a_lease_exactly_one_wins(database_url: str) -> None:
    upgrade(database_url)
    assert sum(_in_processes(3, _lease_in_process, database_url)) == 1
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            assert not acquire_lease(session, "mailbox:partners", "parent", MINUTE)
            session.commit()
            time.sleep(2.1)
            assert acquire_lease(session, "mailbox:partners", "parent", MINUTE)
            session.commit()
    finally:
        engine.dispose()
