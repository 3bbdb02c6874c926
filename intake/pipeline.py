"""The exactly-once pipeline for one mailbox folder.

Order of work for one e-mail: claim it in the database -> store the raw message and its
attachments as content-addressed blobs -> parse -> file the items and commit -> only then the
post-action on the server (move, or flag + seen). A crash before the filing commit leaves the
claim behind and the e-mail is taken again; a crash after it leaves a pending post-action that
the next pass completes. Nothing is filed twice: the claim is unique, and the same content
arriving again (Message-ID + attachment hashes) is filed as a duplicate of the first.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from parsers.record import empty_record, failure_record
from storage import repository
from storage.blobs import BlobStore
from storage.models import Attachment, Email, Item

from .message import NOT_A_FORM, Attachment as MailAttachment, IncomingMessage, MailLimits, read_message
from .sender import sender_mismatch
from .sources import Source

log = logging.getLogger(__name__)

Parse = Callable[[bytes, str], dict[str, Any]]
DONE_BATCH = 25  # post-actions recorded per transaction
NEEDS_A_PERSON = frozenset({"unreadable", "not_cpi", "unrecognised"})


@dataclass(frozen=True)
class FolderPlan:
    """What to watch in one mailbox and where processed mail goes."""

    mailbox: str
    folder: str = "INBOX"
    processed_folder: str | None = "CPI/Processed"  # None: flag + seen instead of moving
    review_folder: str | None = "CPI/Needs a person"
    partner_domains: tuple[str, ...] = ()
    batch_size: int = 50
    claim_ttl: timedelta = timedelta(minutes=15)


@dataclass
class PassSummary:
    """Counts of one pass over a folder (what `run --once` prints)."""

    new: int = 0
    forms: int = 0
    duplicate: int = 0
    unreadable: int = 0
    no_form: int = 0
    failed: int = 0
    post_actions: int = 0


@dataclass
class Pipeline:
    """Files e-mails from a source into storage, exactly once."""

    sessions: sessionmaker[Session]
    blobs: BlobStore
    parse: Parse
    limits: MailLimits
    holder: str
    stop: threading.Event = field(default_factory=threading.Event)
    # Progress: called with the number of e-mails a pass will take, then once per e-mail done.
    on_start: Callable[[int], None] | None = None
    on_message: Callable[[], None] | None = None
    # E-mails in hand at once: each is claimed, stored and checked for duplicates in order, its
    # forms go to the parser at once, and it is filed (in order) when they are parsed, so the
    # parser pool stays busy while earlier e-mails are filed. 1: one e-mail at a time. Use at
    # least the parser pool's worker count.
    parallel: int = 4
    _done: list[tuple[int, str]] = field(default_factory=list, init=False, repr=False)

    def run_pass(self, source: Source, plan: FolderPlan) -> PassSummary:
        """One pass over the folder: finish pending post-actions, then take every new e-mail."""
        summary = PassSummary()
        uidvalidity = source.open_folder(plan.folder)
        with self.sessions() as s:
            # The caller holds this mailbox's lease and has nothing in hand: any claim left is stale.
            repository.expire_claims(s, plan.mailbox)
            changed = repository.note_folder(s, plan.mailbox, plan.folder, uidvalidity)
            if changed:
                repository.log_event(s, "intake", "uidvalidity_changed", mailbox=plan.mailbox, uidvalidity=uidvalidity)
            s.commit()
        present = source.uids()
        self._finish_post_actions(source, plan, uidvalidity, set(present), summary)
        with self.sessions() as s:
            done = repository.settled_uids(s, plan.mailbox, plan.folder, uidvalidity)
        todo = [uid for uid in present if uid not in done]
        if self.on_start:
            self.on_start(len(todo))
        in_hand: deque[_InHand] = deque()
        parsing = ThreadPoolExecutor(max_workers=max(1, self.parallel), thread_name_prefix="cpi-intake-parse")
        try:
            for batch in _chunks(todo, plan.batch_size):
                if self.stop.is_set():
                    break
                for uid, raw in source.fetch(batch):
                    if self.stop.is_set():
                        break
                    taken = self._take(source, plan, uidvalidity, uid, raw, summary, parsing, in_hand)
                    if taken is None:
                        self._progress()
                        continue
                    in_hand.append(taken)
                    while len(in_hand) >= max(1, self.parallel):
                        self._file(source, plan, in_hand.popleft(), summary)
            while in_hand:  # the e-mails in hand are finished, stop or not
                self._file(source, plan, in_hand.popleft(), summary)
            self._record_done()
        finally:  # on a fault the e-mails still in hand stay claimed and are taken again later
            parsing.shutdown(wait=True, cancel_futures=True)
            self._done.clear()  # unrecorded moves are found again next pass
        return summary

    # -- one e-mail ------------------------------------------------------------------------
    def _progress(self) -> None:
        if self.on_message:
            self.on_message()

    def _take(self, source: Source, plan: FolderPlan, uidvalidity: int, uid: str, raw: bytes,
              summary: PassSummary, parsing: ThreadPoolExecutor, in_hand: deque[_InHand]) -> _InHand | None:
        """Claim, store and check one e-mail, and start parsing its forms; None if it is not ours to take."""
        with self.sessions() as s:
            email = repository.claim(s, plan.mailbox, plan.folder, uidvalidity, uid, self.holder, plan.claim_ttl)
            s.commit()
            if email is None:
                return None
            email_id = email.id
        message = read_message(raw, self.limits)
        raw_sha = self.blobs.put(raw)
        kept = [(a, self.blobs.put(a.data) if a.data else None) for a in message.attachments]
        content_key = _content_key(message, raw_sha, [sha for _, sha in kept])
        while any(h.content_key == content_key for h in in_hand):  # the same e-mail twice: file the first first
            self._file(source, plan, in_hand.popleft(), summary)
        with self.sessions() as s:
            original = repository.find_duplicate(s, content_key, email_id)
            original_id = original.id if original is not None else None
        forms = [(a, sha) for a, sha in kept if a.rejected != NOT_A_FORM]
        parses = [] if original_id else [parsing.submit(self._parse, a) for a, _ in forms]
        return _InHand(uid, email_id, message, raw_sha, kept, forms, content_key, original_id, parses)

    def _file(self, source: Source, plan: FolderPlan, taken: _InHand, summary: PassSummary) -> None:
        """File an e-mail in hand once its forms are parsed, commit, then do its post-action."""
        uid, email_id, message, raw_sha = taken.uid, taken.email_id, taken.message, taken.raw_sha
        kept, forms, content_key, original_id = taken.kept, taken.forms, taken.content_key, taken.original_id
        records = [parse.result() for parse in taken.parses]
        for record in records:
            if sender_mismatch(message.sender, record):
                record["flags"] = sorted({*record["flags"], "sender_mismatch"})
        state, target = _outcome(message, records, original_id, plan)
        with self.sessions() as s:
            email = s.get(Email, email_id)
            assert email is not None
            email.message_id = message.message_id
            email.sender = message.sender
            email.subject = message.subject
            email.received_at = message.date or datetime.now(UTC)
            email.raw_sha256 = raw_sha
            email.content_key = content_key
            email.state = state
            email.duplicate_of = original_id
            email.post_action = "pending"
            email.post_action_target = target
            rows = {id(a): _attachment_row(email_id, a, sha) for a, sha in kept}
            s.add_all(rows.values())
            s.flush()
            form_rows = [rows[id(a)] for a, _ in forms]
            repository.file_items(s, email, _items(s, message, records, form_rows, original_id, state))
            repository.log_event(s, "intake", "filed", email_id=email_id, state=state, forms=len(records),
                                 attachments=len(kept), raw_sha256=raw_sha)
            s.commit()
        summary.new += state != "duplicate"
        summary.duplicate += state == "duplicate"
        summary.unreadable += state == "unreadable"
        summary.no_form += state == "no_form"
        summary.forms += sum(1 for r in records if r["status"] not in NEEDS_A_PERSON)
        self._post_action(source, plan, email_id, uid, target, summary)
        self._progress()

    def _parse(self, attachment: MailAttachment) -> dict[str, Any]:
        """The form's record; an attachment refused before parsing is filed unreadable with its reason."""
        if attachment.rejected is not None:
            return failure_record(attachment.data, attachment.filename, attachment.rejected)
        return self.parse(attachment.data, attachment.filename)

    # -- post-actions ----------------------------------------------------------------------
    def _post_action(self, source: Source, plan: FolderPlan, email_id: int, uid: str, target: str,
                     summary: PassSummary) -> None:
        """Move (or flag) a filed e-mail; recorded in batches, since a lost record only means a re-check."""
        folder = plan.processed_folder if target == "processed" else plan.review_folder
        if folder:
            source.move(uid, folder)
        else:
            source.flag_seen(uid)
        self._done.append((email_id, "post_action_done"))
        if len(self._done) >= DONE_BATCH:
            self._record_done()
        summary.post_actions += 1

    def _record_done(self) -> None:
        """Mark the post-actions done so far. If this is lost, the next pass finds the mail gone
        (moved) or flags it again (idempotent), so nothing is done twice that matters."""
        if not self._done:
            return
        with self.sessions() as s:
            s.execute(update(Email).where(Email.id.in_([i for i, _ in self._done]))
                      .values(post_action="done").execution_options(synchronize_session=False))
            for email_id, event in self._done:
                repository.log_event(s, "intake", event, email_id=email_id)
            s.commit()
        self._done.clear()

    def _finish_post_actions(self, source: Source, plan: FolderPlan, uidvalidity: int, present: set[str],
                             summary: PassSummary) -> None:
        with self.sessions() as s:
            pending = [(e.id, e.uid, e.post_action_target) for e in repository.pending_post_actions(s, plan.mailbox)
                       if e.folder == plan.folder and e.uidvalidity == uidvalidity]
        for email_id, uid, target in pending:
            if uid in present:
                self._post_action(source, plan, email_id, uid, target or "review", summary)
            else:  # already moved by hand or by an earlier try that lost its answer
                self._done.append((email_id, "post_action_gone"))
        self._record_done()


@dataclass
class _InHand:
    """An e-mail claimed and stored whose forms are being parsed."""

    uid: str
    email_id: int
    message: IncomingMessage
    raw_sha: str
    kept: list[tuple[MailAttachment, str | None]]
    forms: list[tuple[MailAttachment, str | None]]
    content_key: str
    original_id: int | None
    parses: list[Future[dict[str, Any]]]


def _content_key(message: IncomingMessage, raw_sha: str, attachment_shas: list[str | None]) -> str:
    """What identifies the same e-mail sent again: Message-ID + attachment hashes (else the raw bytes)."""
    if not message.message_id:
        return raw_sha
    parts = [message.message_id, *sorted(s or "" for s in attachment_shas)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _outcome(message: IncomingMessage, records: list[dict[str, Any]], original_id: int | None,
             plan: FolderPlan) -> tuple[str, str]:
    """The e-mail's final state and where it goes (`processed` or `review`)."""
    if original_id is not None:
        return "duplicate", "processed"
    if message.rejected is not None:
        return "unreadable", "review"
    if not records:
        return "no_form", "review"
    if all(r["status"] == "unreadable" for r in records):
        return "unreadable", "review"
    domain = message.sender.rpartition("@")[2]
    trusted = not plan.partner_domains or any(domain == d or domain.endswith("." + d) for d in plan.partner_domains)
    needs_person = not trusted or any(r["status"] in NEEDS_A_PERSON for r in records)
    return "filed", "review" if needs_person else "processed"


def _attachment_row(email_id: int, a: MailAttachment, sha: str | None) -> Attachment:
    return Attachment(email_id=email_id, filename=a.filename, sha256=sha or "",
                      size=a.size if a.size is not None else len(a.data), content_type=a.content_type,
                      path_in_message=a.path_in_message)


def _items(session: Session, message: IncomingMessage, records: list[dict[str, Any]], rows: list[Attachment],
           original_id: int | None, state: str) -> list[repository.NewItem]:
    """What handlers see: one item per form, or one for the whole e-mail."""
    if state == "duplicate":
        first = session.scalars(select(Item.id).where(Item.email_id == original_id).order_by(Item.id)).first()
        record = _email_record("the same e-mail (Message-ID and attachments) was filed before", None)
        return [repository.NewItem(attachment_id=None, state="duplicate", record=record, duplicate_of_item=first)]
    if state == "no_form":
        record = _email_record("the e-mail has no form attached", message.body_text)
        return [repository.NewItem(attachment_id=None, state="no_form", record=record)]
    if not records:  # the e-mail itself could not be read
        record = _email_record(message.rejected or "the e-mail could not be read", message.body_text)
        return [repository.NewItem(attachment_id=None, state="unreadable", record=record)]
    return [repository.NewItem(attachment_id=row.id, state="unreadable" if r["status"] == "unreadable" else "filed",
                               record=r) for r, row in zip(records, rows)]


def _email_record(reason: str, body_text: str | None) -> dict[str, Any]:
    """The record shape for an item that is the e-mail itself (no form to read), with its body text."""
    record = empty_record({"filename": None, "sha256": None, "format": None, "pages": None}, None, reason)
    record["body_text"] = body_text
    return record


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
