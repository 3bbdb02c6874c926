"""Create all tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

EMAIL_STATES = "state IN ('claimed', 'filed', 'no_form', 'unreadable', 'duplicate')"
ITEM_STATES = "state IN ('filed', 'no_form', 'unreadable', 'duplicate')"
POST_ACTIONS = "post_action IN ('none', 'pending', 'done')"


def when(name: str, nullable: bool = False) -> sa.Column:
    """A timezone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=False),
        when("claim_expires_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        when("next_attempt_at", nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("content_key", sa.String(length=64), nullable=True),
        sa.Column("raw_sha256", sa.String(length=64), nullable=True),
        sa.Column("sender", sa.String(), nullable=True),
        sa.Column("subject", sa.String(), nullable=True),
        when("received_at", nullable=True),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("post_action", sa.String(length=16), nullable=False),
        sa.Column("post_action_target", sa.String(), nullable=True),
        when("created_at"),
        when("updated_at"),
        sa.CheckConstraint(POST_ACTIONS, name=op.f("ck_emails_post_action")),
        sa.CheckConstraint(EMAIL_STATES, name=op.f("ck_emails_state")),
        sa.ForeignKeyConstraint(["duplicate_of"], ["emails.id"], name=op.f("fk_emails_duplicate_of_emails")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emails")),
        sa.UniqueConstraint("mailbox", "folder", "uidvalidity", "uid", name="uq_emails_claim"),
    )
    op.create_index(op.f("ix_emails_content_key"), "emails", ["content_key"])
    op.create_index(op.f("ix_emails_message_id"), "emails", ["message_id"])

    op.create_table(
        "leases",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        when("expires_at"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "mailbox_folders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("folder", sa.String(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        when("last_scan_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_folders")),
        sa.UniqueConstraint("mailbox", "folder", name="uq_mailbox_folders_folder"),
    )
    op.create_table(
        "reference_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_reference_counters")),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("path_in_message", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["email_id"], ["emails.id"], name=op.f("fk_attachments_email_id_emails")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(op.f("ix_attachments_email_id"), "attachments", ["email_id"])
    op.create_index(op.f("ix_attachments_sha256"), "attachments", ["sha256"])

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_id", sa.Integer(), nullable=True),
        when("at"),
        sa.Column("component", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["email_id"], ["emails.id"], name=op.f("fk_events_email_id_emails")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(op.f("ix_events_at"), "events", ["at"])
    op.create_index(op.f("ix_events_email_id"), "events", ["email_id"])

    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_id", sa.Integer(), nullable=False),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("form_version", sa.String(length=16), nullable=True),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("organisation", sa.String(), nullable=True),
        when("received_at"),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("duplicate_of_item", sa.Integer(), nullable=True),
        when("created_at"),
        sa.CheckConstraint(ITEM_STATES, name=op.f("ck_items_state")),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachments.id"], name=op.f("fk_items_attachment_id_attachments")),
        sa.ForeignKeyConstraint(["duplicate_of_item"], ["items.id"], name=op.f("fk_items_duplicate_of_item_items")),
        sa.ForeignKeyConstraint(["email_id"], ["emails.id"], name=op.f("fk_items_email_id_emails")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("reference", name=op.f("uq_items_reference")),
    )
    for column in ("email_id", "form_version", "organisation", "received_at", "state", "status"):
        op.create_index(op.f(f"ix_items_{column}"), "items", [column])


def downgrade() -> None:
    for table in ("items", "events", "attachments", "reference_counters", "mailbox_folders", "leases", "emails"):
        op.drop_table(table)
