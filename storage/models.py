"""Tables: e-mails and their attachments, filed items, references, events and leases."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

FINAL_STATES = ("filed", "no_form", "unreadable", "duplicate")
EMAIL_STATES = ("claimed", *FINAL_STATES)
POST_ACTIONS = ("none", "pending", "done")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC (SQLite keeps it naive; reads come back aware)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class MailboxFolder(Base):
    """A folder of a configured mailbox and the UIDVALIDITY last seen there."""

    __tablename__ = "mailbox_folders"
    __table_args__ = (UniqueConstraint("mailbox", "folder", name="uq_mailbox_folders_folder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String)
    folder: Mapped[str] = mapped_column(String)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_scan_at: Mapped[datetime | None]


class Email(Base):
    """One message of one mailbox folder, from its claim to its final state."""

    __tablename__ = "emails"
    __table_args__ = (
        UniqueConstraint("mailbox", "folder", "uidvalidity", "uid", name="uq_emails_claim"),
        CheckConstraint(_in("state", EMAIL_STATES), name="state"),
        CheckConstraint(_in("post_action", POST_ACTIONS), name="post_action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String)
    folder: Mapped[str] = mapped_column(String)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="claimed")
    claimed_by: Mapped[str] = mapped_column(String)
    claim_expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String)
    message_id: Mapped[str | None] = mapped_column(String, index=True)
    content_key: Mapped[str | None] = mapped_column(String(64), index=True)
    raw_sha256: Mapped[str | None] = mapped_column(String(64))
    sender: Mapped[str | None] = mapped_column(String)
    subject: Mapped[str | None] = mapped_column(String)
    received_at: Mapped[datetime | None]
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("emails.id"))
    post_action: Mapped[str] = mapped_column(String(16), default="none")
    post_action_target: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    attachments: Mapped[list[Attachment]] = relationship(back_populates="email", order_by="Attachment.id")
    items: Mapped[list[Item]] = relationship(
        back_populates="email", order_by="Item.id", foreign_keys="Item.email_id"
    )


class Attachment(Base):
    """A file found in an e-mail; its bytes are the blob named by `sha256`."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("emails.id"), index=True)
    filename: Mapped[str] = mapped_column(String)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String)
    path_in_message: Mapped[str] = mapped_column(String)

    email: Mapped[Email] = relationship(back_populates="attachments")


class Item(Base):
    """What handlers see: one filed form, or one e-mail without a usable form."""

    __tablename__ = "items"
    __table_args__ = (CheckConstraint(_in("state", FINAL_STATES), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("emails.id"), index=True)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str | None] = mapped_column(String(32), index=True)
    form_version: Mapped[str | None] = mapped_column(String(16), index=True)
    flags: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[str] = mapped_column(Text, default="")
    organisation: Mapped[str | None] = mapped_column(String, index=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    record: Mapped[dict[str, Any]]
    duplicate_of_item: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    email: Mapped[Email] = relationship(back_populates="items", foreign_keys=[email_id])
    attachment: Mapped[Attachment | None] = relationship()


class ReferenceCounter(Base):
    """The last reference number given out in a year."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class Event(Base):
    """An append-only log line: ids, counts, hashes and statuses only."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int | None] = mapped_column(ForeignKey("emails.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    component: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]]


class Lease(Base):
    """A named lock held by one holder until it expires."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    holder: Mapped[str] = mapped_column(String)
    expires_at: Mapped[datetime]


@event.listens_for(Event, "before_update")
@event.listens_for(Event, "before_delete")
def _events_are_append_only(*_args: Any) -> None:
    raise PermissionError("the event log is append-only")
