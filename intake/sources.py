"""The mailbox source protocol shared by IMAP and Maildir, and its errors.

Error messages are plain words for a person reading a log or the `check` output: they never
contain a password, a message's content or a sender's name.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol


class SourceError(Exception):
    """A mailbox operation failed; the message says why in plain words."""


class TransientSourceError(SourceError):
    """The server was unreachable, timed out or dropped the connection: retry later."""


class AuthenticationFailed(SourceError):
    """The server refused the user name or password."""


class FolderMissing(SourceError):
    """The folder (or Maildir) to read does not exist."""


class TlsFailure(SourceError):
    """A secure connection could not be made (untrusted certificate, no STARTTLS, plain text refused)."""


class Source(Protocol):
    """One logged-in mailbox. Folder names use "/" between levels, whatever the server uses."""

    def folders(self) -> list[str]:
        """Every folder of the mailbox."""
        ...

    def open_folder(self, folder: str) -> int:
        """Select `folder` for the calls below; returns its UIDVALIDITY."""
        ...

    def uids(self) -> list[str]:
        """Every message's UID in the open folder, oldest first."""
        ...

    def fetch(self, uids: list[str]) -> Iterator[tuple[str, bytes]]:
        """(uid, raw message) for each UID still present; never marks a message seen."""
        ...

    def move(self, uids: Sequence[str], folder: str) -> None:
        """Move messages to `folder`, creating the folder when missing; one gone already is no error."""
        ...

    def flag_seen(self, uids: Sequence[str]) -> None:
        """Mark messages seen."""
        ...

    def close(self) -> None:
        """Log out; never raises."""
        ...
