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
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from parsers.record import empty_record, failure_record
from storage import repository
from storage.blobs import BlobStore
from storage.models import Email, Item

from .message import NOT_A_FORM, Attachment as MailAttachment, IncomingMessage, MailLimits, read_message
from .sender import sender_mismatch
from .sources import Source

log = logging.getLogger(__name__)

Parse = Callable[[bytes, str], dict[str, Any]]
T = TypeVar("T")
POST_ACTION_BATCH = 25  # filed e-mails moved (or flagged) per server command and recorded per transaction
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
    # E-mails in hand at once: their forms are parsed side by side while others are read and
    # filed, and each is filed as soon as its own forms are parsed (those ready together in one
    # transaction), so a slow form holds up only its own e-mail. 1: one e-mail at a time. Use a
    # few times the parser pool's worker count.
    parallel: int = 8
    _filed: list[tuple[int, str, str]] = field(default_factory=list, init=False, repr=False)
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
        width = max(1, self.parallel)
        in_hand: list[_InHand] = []
        parsing = ThreadPoolExecutor(max_workers=width, thread_name_prefix="cpi-intake-parse")
        try:
            for batch in _chunks(todo, plan.batch_size):
                if self.stop.is_set():
                    break
                fetched = list(source.fetch(batch))
                with self.sessions() as s:
                    claimed = repository.claim(s, plan.mailbox, plan.folder, uidvalidity,
                                               [uid for uid, _ in fetched], self.holder, plan.claim_ttl)
                    s.commit()
                for group in _chunks(fetched, width):
                    if self.stop.is_set():  # claims not taken yet are released by the next pass
                        break
                    self._take(group, claimed, parsing, in_hand)
                    while len(in_hand) >= width:
                        self._file_ready(source, plan, in_hand, summary)
            while in_hand:  # the e-mails in hand are finished, stop or not
                self._file_ready(source, plan, in_hand, summary)
            self._post_actions(source, plan, summary)
        finally:  # on a fault the e-mails still in hand stay claimed and are taken again later
            parsing.shutdown(wait=True, cancel_futures=True)
            self._filed.clear()  # their post-actions stay pending and are done next pass
            self._done.clear()  # unrecorded moves are found again next pass
        return summary

    # -- taking and filing e-mails ---------------------------------------------------------
    def _progress(self, count: int = 1) -> None:
        if self.on_message:
            for _ in range(count):
                self.on_message()

    def _take(self, group: list[tuple[str, bytes]], claimed: dict[str, int], parsing: ThreadPoolExecutor,
              in_hand: list[_InHand]) -> None:
        """Read and store the claimed e-mails of `group`, then start parsing the forms of each
        that is not the same as one filed or in hand (it will be filed as its duplicate)."""
        taken = []
        for uid, raw in group:
            email_id = claimed.get(uid)
            if email_id is None:  # filed already, or another holder has it
                self._progress()
                continue
            message = read_message(raw, self.limits)
            raw_sha = self.blobs.put(raw)
            kept = [(a, self.blobs.put(a.data) if a.data else None) for a in message.attachments]
            taken.append(_InHand(uid, email_id, message, raw_sha, kept,
                                 _content_key(message, raw_sha, [sha for _, sha in kept])))
        if not taken:
            return
        with self.sessions() as s:
            filed = repository.originals(s, [t.content_key for t in taken])
        holding = {h.content_key: h for h in in_hand}
        for t in taken:
            t.original = holding.get(t.content_key)
            if t.original is None and t.content_key not in filed:
                t.parses = [parsing.submit(self._parse, a) for a, _ in t.forms]
                holding[t.content_key] = t
            in_hand.append(t)

    def _file_ready(self, source: Source, plan: FolderPlan, in_hand: list[_InHand], summary: PassSummary) -> None:
        """Wait until at least one e-mail in hand is ready, then file every ready one."""
        ready = [h for h in in_hand if h.ready()]
        while not ready:
            wait([f for h in in_hand for f in h.parses if not f.done()], return_when=FIRST_COMPLETED)
            ready = [h for h in in_hand if h.ready()]
        self._file(source, plan, ready, summary)
        for h in ready:
            in_hand.remove(h)

    def _file(self, source: Source, plan: FolderPlan, group: list[_InHand], summary: PassSummary) -> None:
        """File e-mails whose forms are parsed in one transaction and commit; their post-actions
        follow in batches."""
        with self.sessions() as s:
            found = repository.originals(s, [e.content_key for e in group])
            now = datetime.now(UTC)
            attachment_ids = iter(repository.add_attachments(s, [
                _attachment_row(e.email_id, a, sha) for e in group for a, sha in e.kept]))
            emails, items = [], []
            for e in group:
                original_id = found.get(e.content_key)
                records = [] if original_id is not None else [parse.result() for parse in e.parses]
                for record in records:
                    if sender_mismatch(e.message.sender, record):
                        record["flags"] = sorted({*record["flags"], "sender_mismatch"})
                state, target = _outcome(e.message, records, original_id, plan)
                received_at = e.message.date or now
                ids = {id(a): next(attachment_ids) for a, _ in e.kept}
                emails.append(dict(
                    id=e.email_id, message_id=e.message.message_id, sender=e.message.sender,
                    subject=e.message.subject, received_at=received_at, raw_sha256=e.raw_sha,
                    content_key=e.content_key, state=state, duplicate_of=original_id, post_action="pending",
                    post_action_target=target, updated_at=now))
                form_ids = [ids[id(a)] for a, _ in e.forms]
                items += _items(s, e, received_at, records, form_ids, original_id, state)
                repository.log_event(s, "intake", "filed", email_id=e.email_id, state=state, forms=len(records),
                                     attachments=len(e.kept), raw_sha256=e.raw_sha)
                self._filed.append((e.email_id, e.uid, target))
                summary.new += state != "duplicate"
                summary.duplicate += state == "duplicate"
                summary.unreadable += state == "unreadable"
                summary.no_form += state == "no_form"
                summary.forms += sum(1 for r in records if r["status"] not in NEEDS_A_PERSON)
            s.execute(update(Email), emails)
            repository.file_items(s, items, now=now)
            s.commit()
        for e in group:
            e.filed = True
        if len(self._filed) >= POST_ACTION_BATCH:
            self._post_actions(source, plan, summary)
        self._progress(len(group))

    def _parse(self, attachment: MailAttachment) -> dict[str, Any]:
        """The form's record; an attachment refused before parsing is filed unreadable with its reason."""
        if attachment.rejected is not None:
            return failure_record(attachment.data, attachment.filename, attachment.rejected)
        return self.parse(attachment.data, attachment.filename)

    # -- post-actions ----------------------------------------------------------------------
    def _post_actions(self, source: Source, plan: FolderPlan, summary: PassSummary) -> None:
        """Move (or flag) the e-mails filed so far, one command per target folder, and record it."""
        by_folder: dict[str | None, list[tuple[int, str]]] = {}
        for email_id, uid, target in self._filed:
            folder = plan.processed_folder if target == "processed" else plan.review_folder
            by_folder.setdefault(folder, []).append((email_id, uid))
        for folder, emails in by_folder.items():
            uids = [uid for _, uid in emails]
            if folder:
                source.move(uids, folder)
            else:
                source.flag_seen(uids)
            self._done.extend((email_id, "post_action_done") for email_id, _ in emails)
            summary.post_actions += len(emails)
        self._filed.clear()
        self._record_done()

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
            pending = [(e.id, e.uid, e.post_action_target or "review")
                       for e in repository.pending_post_actions(s, plan.mailbox)
                       if e.folder == plan.folder and e.uidvalidity == uidvalidity]
        # Those gone were moved by hand or by an earlier try that lost its answer.
        self._done.extend((email_id, "post_action_gone") for email_id, uid, _ in pending if uid not in present)
        self._filed = [p for p in pending if p[1] in present]
        if self._filed:
            self._post_actions(source, plan, summary)
        self._record_done()


@dataclass(eq=False)
class _InHand:
    """An e-mail claimed and stored whose forms are being parsed."""

    uid: str
    email_id: int
    message: IncomingMessage
    raw_sha: str
    kept: list[tuple[MailAttachment, str | None]]
    content_key: str
    parses: list[Future[dict[str, Any]]] = field(default_factory=list)
    original: _InHand | None = None  # an earlier e-mail in hand with the same content: filed first
    filed: bool = False

    @property
    def forms(self) -> list[tuple[MailAttachment, str | None]]:
        return [(a, sha) for a, sha in self.kept if a.rejected != NOT_A_FORM]

    def ready(self) -> bool:
        """Whether it can be filed now: its forms are parsed, and the e-mail it repeats is filed."""
        return all(f.done() for f in self.parses) and (self.original is None or self.original.filed)


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


def _attachment_row(email_id: int, a: MailAttachment, sha: str | None) -> dict[str, Any]:
    return dict(email_id=email_id, filename=a.filename, sha256=sha or "",
                size=a.size if a.size is not None else len(a.data), content_type=a.content_type,
                path_in_message=a.path_in_message)


def _items(session: Session, e: _InHand, received_at: datetime, records: list[dict[str, Any]], form_ids: list[int],
           original_id: int | None, state: str) -> list[repository.NewItem]:
    """What handlers see: one item per form, or one for the whole e-mail."""
    new = partial(repository.NewItem, e.email_id, received_at=received_at)
    if state == "duplicate":
        first = session.scalars(select(Item.id).where(Item.email_id == original_id).order_by(Item.id)).first()
        record = _email_record("the same e-mail (Message-ID and attachments) was filed before", None)
        return [new(None, "duplicate", record, duplicate_of_item=first)]
    if state == "no_form":
        return [new(None, "no_form", _email_record("the e-mail has no form attached", e.message.body_text))]
    if not records:  # the e-mail itself could not be read
        reason = e.message.rejected or "the e-mail could not be read"
        return [new(None, "unreadable", _email_record(reason, e.message.body_text))]
    return [new(form_id, "unreadable" if r["status"] == "unreadable" else "filed", r)
            for r, form_id in zip(records, form_ids)]


def _email_record(reason: str, body_text: str | None) -> dict[str, Any]:
    """The record shape for an item that is the e-mail itself (no form to read), with its body text."""
    record = empty_record({"filename": None, "sha256": None, "format": None, "pages": None}, None, reason)
    record["body_text"] = body_text
    return record


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
