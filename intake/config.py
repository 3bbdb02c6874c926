"""What a source needs to reach a mailbox: its own small types, mapped from the service settings by the caller."""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from intake.sources import SourceError

Security = Literal["ssl", "starttls", "none"]


def is_loopback(host: str) -> bool:
    """True for "localhost" and loopback addresses; names are never resolved."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ImapAccount:
    """An IMAP login. The password is read when connecting, from `password_env` or `password_file`."""

    host: str
    username: str
    password_env: str | None = None
    password_file: Path | None = None
    port: int | None = None
    security: Security = "ssl"
    ca_bundle: Path | None = None
    connect_timeout: float = 30.0
    socket_timeout: float = 60.0

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "ssl" else 143)

    def password(self) -> str:
        """The password from the environment variable or file named; an error never contains it."""
        if self.password_env is not None:
            value = os.environ.get(self.password_env)
            if not value:
                raise SourceError(f"the password environment variable {self.password_env} is not set")
            return value
        if self.password_file is not None:
            try:
                value = self.password_file.read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise SourceError(f"the password file cannot be read ({exc.strerror})") from None
            if not value:
                raise SourceError("the password file is empty")
            return value
        raise SourceError("no password_env or password_file is set")


@dataclass(frozen=True)
class MaildirAccount:
    """A local Maildir: "INBOX" is its root, other folders are Maildir++ subfolders."""

    path: Path


@dataclass(frozen=True)
class MailboxFolders:
    """The folders intake reads from and files into."""

    watched: str = "INBOX"
    processed: str = "CPI/Processed"
    review: str = "CPI/Needs a person"
