"""What the rest of the service does with the database; callers own the transaction and commit."""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from storage.models import FINAL_STATES, Attachment, Email, Event, Item, Lease, MailboxFolder, ReferenceCounter, utcnow

ORIGINAL_STATES = tuple(s for s in FINAL_STATES if s != "duplicate")


@dataclass
class NewItem:
    """An item to file for an e-mail: a parsed form (`attachment_id` set) or the e-mail itself."""

    email_id: int
    attachment_id: int | None
    state: str
    record: dict[str, Any]
    received_at: datetime | None = None  # the e-mail's date; None: when filed
    duplicate_of_item: int | None = None


def claim(
    session: Session, mailbox: str, folder: str, uidvalidity: int, uids: Sequence[str], holder: str,
    ttl: timedelta,
) -> dict[str, int]:
    """Claim messages for `holder` until now + `ttl`: uid -> e-mail id of each one taken.

    A message already filed, or claimed by someone whose claim still runs, is left out. A claim
    whose time ran out (its holder crashed, or a retry fell due) is taken again, attempts + 1.
    """
    if not uids:
        return {}
    now = utcnow()
    rows = [dict(mailbox=mailbox, folder=folder, uidvalidity=uidvalidity, uid=uid, state="claimed",
                 claimed_by=holder, claim_expires_at=now + ttl, attempts=1, post_action="none",
                 created_at=now, updated_at=now) for uid in dict.fromkeys(uids)]
    insert_new = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(Email)
    new = session.execute(
        insert_new.on_conflict_do_nothing(index_elements=["mailbox", "folder", "uidvalidity", "uid"])
        .returning(Email.uid, Email.id), rows)
    taken: dict[str, int] = {uid: email_id for uid, email_id in new}
    rest = [row["uid"] for row in rows if row["uid"] not in taken]
    if rest:
        taken |= {uid: email_id for uid, email_id in session.execute(
            update(Email)
            .where(
                Email.mailbox == mailbox, Email.folder == folder,
                Email.uidvalidity == uidvalidity, Email.uid.in_(rest),
                Email.state == "claimed", Email.claim_expires_at <= now,
                or_(Email.next_attempt_at.is_(None), Email.next_attempt_at <= now),
            )
            .values(claimed_by=holder, claim_expires_at=now + ttl, attempts=Email.attempts + 1, updated_at=now)
            .returning(Email.uid, Email.id)
            .execution_options(synchronize_session=False)
        )}
    return taken


def expire_claims(session: Session, mailbox: str) -> int:
    """End every claim left on a mailbox: called by the lease holder before a pass, when none is in hand.

    Such claims are from a crash or a pass that failed part-way; their e-mails are taken again.
    """
    now = utcnow()
    result = session.execute(
        update(Email)
        .where(Email.mailbox == mailbox, Email.state == "claimed", Email.claim_expires_at > now)
        .values(claim_expires_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def note_folder(session: Session, mailbox: str, folder: str, uidvalidity: int) -> bool:
    """Record a scan of `folder` and its UIDVALIDITY; True when it differs from the one seen before."""
    now = utcnow()
    seen = session.scalars(
        select(MailboxFolder).where(MailboxFolder.mailbox == mailbox, MailboxFolder.folder == folder)
    ).first()
    if seen is None:
        try:
            with session.begin_nested():
                session.add(MailboxFolder(mailbox=mailbox, folder=folder, uidvalidity=uidvalidity, last_scan_at=now))
            return False
        except IntegrityError:
            return note_folder(session, mailbox, folder, uidvalidity)
    changed = seen.uidvalidity is not None and seen.uidvalidity != uidvalidity
    seen.uidvalidity, seen.last_scan_at = uidvalidity, now
    session.flush()
    return changed


def settled_uids(session: Session, mailbox: str, folder: str, uidvalidity: int) -> set[str]:
    """UIDs of the folder whose e-mails reached a final state (nothing left to take)."""
    return set(session.scalars(
        select(Email.uid).where(
            Email.mailbox == mailbox, Email.folder == folder,
            Email.uidvalidity == uidvalidity, Email.state.in_(FINAL_STATES),
        )
    ))


def originals(session: Session, content_keys: Collection[str]) -> dict[str, int]:
    """For each content key, the first e-mail filed with it (in any state but duplicate): key -> e-mail id."""
    if not content_keys:
        return {}
    return {key: email_id for key, email_id in session.execute(
        select(Email.content_key, func.min(Email.id))
        .where(Email.content_key.in_(set(content_keys)), Email.state.in_(ORIGINAL_STATES))
        .group_by(Email.content_key)
    )}


def add_attachments(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Add attachment rows (column -> value); their ids, in the same order."""
    if not rows:
        return []
    return list(session.scalars(insert(Attachment).returning(Attachment.id, sort_by_parameter_order=True), rows))


def file_items(session: Session, items: list[NewItem], *, now: datetime | None = None) -> list[Item]:
    """Add `items`, in order, each with the next reference of the year (`CPI-2026-000001`).

    The e-mails' own state and post-action are left to the caller.
    """
    for new in items:
        if new.state not in FINAL_STATES:
            raise ValueError(f"not a final state: {new.state!r}")
    if not items:
        return []
    now = now or utcnow()
    first = _take_numbers(session, now.year, len(items))
    rows = []
    for number, new in enumerate(items, start=first):
        record = new.record
        rows.append(dict(
            email_id=new.email_id, attachment_id=new.attachment_id,
            reference=f"CPI-{now.year}-{number:06d}", state=new.state,
            status=record.get("status"), form_version=record.get("form_version"),
            flags=_joined(record.get("flags")), categories=_joined(record.get("categories")),
            organisation=(record.get("submitter") or {}).get("organisation"),
            received_at=new.received_at or now, record=record,
            duplicate_of_item=new.duplicate_of_item, created_at=now,
        ))
    return list(session.scalars(insert(Item).returning(Item, sort_by_parameter_order=True), rows))


def _take_numbers(session: Session, year: int, count: int) -> int:
    """Reserve `count` consecutive numbers of `year` (the row stays locked until commit); the first."""
    while True:
        last = session.execute(
            update(ReferenceCounter)
            .where(ReferenceCounter.year == year)
            .values(last=ReferenceCounter.last + count)
            .returning(ReferenceCounter.last)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if last is not None:
            return last - count + 1
        try:
            with session.begin_nested():
                session.execute(insert(ReferenceCounter).values(year=year, last=count))
        except IntegrityError:
            continue
        return 1


def _joined(values: list[str] | None) -> str:
    """`["a", "b"]` -> `",a,b,"` so `LIKE '%,a,%'` finds it; empty -> `""`."""
    return f",{','.join(values)}," if values else ""


def log_event(session: Session, component: str, event: str, email_id: int | None = None, **detail: Any) -> Event:
    """Append one event; `detail` holds ids, counts, hashes and statuses, never content."""
    entry = Event(email_id=email_id, component=component, event=event, detail=detail, at=utcnow())
    session.add(entry)
    return entry


def acquire_lease(session: Session, name: str, holder: str, ttl: timedelta) -> bool:
    """Take (or extend) lease `name` for `holder` unless another holder's lease is still running."""
    now = utcnow()
    taken = session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at <= now))
        .values(holder=holder, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken:
        return True
    try:
        with session.begin_nested():
            session.execute(insert(Lease).values(name=name, holder=holder, expires_at=now + ttl))
    except IntegrityError:
        return False
    return True


def renew_lease(session: Session, name: str, holder: str, ttl: timedelta) -> bool:
    """Extend a lease `holder` still has; False if it was lost to another holder or released."""
    result = session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(expires_at=utcnow() + ttl)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def release_lease(session: Session, name: str, holder: str) -> bool:
    """Give a lease up; False if `holder` did not have it."""
    result = session.execute(
        delete(Lease).where(Lease.name == name, Lease.holder == holder).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def unfinished(session: Session, mailbox: str) -> bool:
    """Whether a mailbox has work left from an earlier pass: a pending post-action or a claim."""
    return session.scalar(
        select(Email.id).where(Email.mailbox == mailbox,
                               or_(Email.post_action == "pending", Email.state == "claimed")).limit(1)
    ) is not None


def pending_post_actions(session: Session, mailbox: str) -> list[Email]:
    """E-mails of `mailbox` whose records are committed but whose IMAP move or flag is not done yet."""
    return list(session.scalars(
        select(Email).where(Email.mailbox == mailbox, Email.post_action == "pending").order_by(Email.id)
    ))


def due_retries(session: Session, now: datetime) -> list[Email]:
    """Claimed e-mails nobody holds any more whose next attempt is due: `claim` will take them."""
    return list(session.scalars(
        select(Email)
        .where(
            Email.state == "claimed", Email.claim_expires_at <= now,
            or_(Email.next_attempt_at.is_(None), Email.next_attempt_at <= now),
        )
        .order_by(Email.id)
    ))


def export_items(session: Session) -> list[dict[str, Any]]:
    """Every item as its record plus reference, e-mail fields, state and the original's reference.

    `duplicate_of` is the reference of the item's `duplicate_of_item`, else of the first item of the
    e-mail its e-mail duplicates, else null.
    """
    first_items = select(Item.email_id, func.min(Item.id).label("item_id")).group_by(Item.email_id).subquery()
    original = aliased(Item)
    rows = session.execute(
        select(Item, Email, original.reference)
        .join(Email, Item.email_id == Email.id)
        .outerjoin(first_items, first_items.c.email_id == Email.duplicate_of)
        .outerjoin(original, original.id == func.coalesce(Item.duplicate_of_item, first_items.c.item_id))
        .order_by(Item.id)
    )
    return [
        {
            **item.record,
            "reference": item.reference,
            "received_at": item.received_at.isoformat(),
            "mailbox": email.mailbox,
            "sender": email.sender,
            "message_id": email.message_id,
            "subject": email.subject,
            "state": item.state,
            "duplicate_of": duplicate_of,
        }
        for item, email, duplicate_of in rows
    ]
