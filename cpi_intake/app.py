"""Builds the service's parts from settings: database, blob store, parser pool, mailbox jobs."""
from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from intake.check import open_source
from intake.config import ImapAccount, MailboxFolders, MaildirAccount
from intake.message import MailLimits
from intake.pipeline import FolderPlan, Pipeline
from parsers.parse import open_pool
from scheduler.jobs import MailboxJob
from storage.blobs import BlobStore
from storage.db import make_engine, session_factory, upgrade

from .settings import Mailbox, Settings


def database_url(settings: Settings) -> str:
    """The database URL, with a relative SQLite path taken from the settings file's folder."""
    url = make_url(settings.service.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.is_absolute():
            url = url.set(database=str(settings.resolve(path)))
    return url.render_as_string(hide_password=False)


def account(settings: Settings, box: Mailbox) -> ImapAccount | MaildirAccount:
    if box.kind == "maildir":
        assert box.path is not None
        return MaildirAccount(path=settings.resolve(box.path))
    assert box.host is not None and box.username is not None
    return ImapAccount(
        host=box.host, username=box.username, password_env=box.password_env,
        password_file=settings.resolve(box.password_file) if box.password_file else None,
        port=box.port, security=box.security,
        ca_bundle=settings.resolve(box.ca_bundle) if box.ca_bundle else None,
        connect_timeout=box.connect_timeout_seconds, socket_timeout=box.socket_timeout_seconds,
    )


def folders(box: Mailbox) -> MailboxFolders:
    return MailboxFolders(watched=box.folder, processed=box.processed_folder, review=box.review_folder)


def plan(settings: Settings, box: Mailbox) -> FolderPlan:
    return FolderPlan(
        mailbox=box.name, folder=box.folder,
        processed_folder=box.processed_folder if box.move else None,
        review_folder=box.review_folder if box.move else None,
        partner_domains=tuple(box.partner_domains),
        batch_size=settings.intake.fetch_batch,
        claim_ttl=timedelta(minutes=settings.intake.claim_minutes),
    )


def jobs(settings: Settings, only: str | None = None) -> list[MailboxJob]:
    """One job per enabled mailbox (or just the one named)."""
    chosen = [b for b in settings.mailboxes if (b.name == only if only else b.enabled)]
    return [MailboxJob(name=b.name, open_source=lambda b=b: open_source(account(settings, b)),
                       plan=plan(settings, b), poll_seconds=b.poll_seconds) for b in chosen]


def mail_limits(settings: Settings) -> MailLimits:
    mb = 1024 * 1024
    i = settings.intake
    return MailLimits(max_attachment_bytes=int(i.max_attachment_mb * mb), max_message_bytes=int(i.max_message_mb * mb))


def holder_name() -> str:
    """Who holds a lease or claim: unique per process, readable in the event log."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def service(settings: Settings) -> Iterator[Pipeline]:
    """The pipeline with its database (migrated), blob store and parser pool; closed on exit."""
    url = database_url(settings)
    upgrade(url)
    engine = make_engine(url)
    data_dir = settings.resolve(settings.service.data_dir)
    with open_pool(settings.parser_config()) as pool:
        try:
            yield Pipeline(sessions=session_factory(engine), blobs=BlobStore(data_dir / "blobs"), parse=pool.parse,
                           limits=mail_limits(settings), holder=holder_name(),
                           parallel=4 * settings.parsing.workers)
        finally:
            engine.dispose()
