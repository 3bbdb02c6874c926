"""Opening a configured mailbox, and checking one: can intake log in and find its folders?"""
from __future__ import annotations

from dataclasses import dataclass, field

from intake.config import ImapAccount, MailboxFolders, MaildirAccount
from intake.imap import ImapSource
from intake.maildir import MaildirSource
from intake.sources import Source, SourceError


def open_source(account: ImapAccount | MaildirAccount) -> Source:
    """A connected, logged-in source for the account (raises a `SourceError`)."""
    if isinstance(account, ImapAccount):
        return ImapSource(account)
    return MaildirSource(account)


@dataclass
class CheckResult:
    """What `check_mailbox` found: `problems` stop intake, `notes` do not."""

    folders: list[str] = field(default_factory=list)
    messages: int | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_mailbox(account: ImapAccount | MaildirAccount, folders: MailboxFolders) -> CheckResult:
    """Log in, list the folders and look for the watched, processed and review folders. Never raises a SourceError."""
    result = CheckResult()
    try:
        source = open_source(account)
    except SourceError as exc:
        result.problems.append(str(exc))
        return result
    try:
        result.folders = source.folders()
        if folders.watched not in result.folders:
            result.problems.append(f"the watched folder {folders.watched!r} does not exist")
        else:
            source.open_folder(folders.watched)
            result.messages = len(source.uids())
        for role, name in (("processed", folders.processed), ("review", folders.review)):
            if name not in result.folders:
                result.notes.append(f"the {role} folder {name!r} does not exist yet: it will be created when first needed")
    except SourceError as exc:
        result.problems.append(str(exc))
    finally:
        source.close()
    return result
