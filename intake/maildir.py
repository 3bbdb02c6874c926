"""Maildir source: the same protocol over a local Maildir, for examples and local delivery.

"INBOX" is the Maildir's root; "A/B" is the Maildir++ subfolder `.A.B` (or a plain `A/B` Maildir when
one exists). Message keys are the UIDs; each folder keeps a UIDVALIDITY in a small file, made on first
use. Nothing is ever deleted: a move renames the message's file into the target folder.
"""
from __future__ import annotations

import mailbox
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from intake.config import MaildirAccount
from intake.sources import FolderMissing, SourceError

UIDVALIDITY_FILE = "cpi-intake-uidvalidity"
_SUBDIRS = ("new", "cur")


def _key(filename: str) -> str:
    return filename.split(mailbox.Maildir.colon, 1)[0]


def _check_key(key: str) -> None:
    if not key or "/" in key or key.startswith(".") or mailbox.Maildir.colon in key:
        raise ValueError("not a Maildir message key")


def _read_or_create_uidvalidity(folder: Path) -> int:
    """The folder's stable UIDVALIDITY; a new folder (or a lost file) gets the current time."""
    target = folder / UIDVALIDITY_FILE
    try:
        return int(target.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    except ValueError:
        raise SourceError(f"the Maildir's {UIDVALIDITY_FILE} file is damaged") from None
    temp = folder / "tmp" / f"{UIDVALIDITY_FILE}.{os.getpid()}.{time.time_ns()}"
    temp.write_text(f"{int(time.time())}\n", encoding="ascii")
    try:
        os.link(temp, target)  # never replaces a value another process wrote first
    except FileExistsError:
        pass
    finally:
        temp.unlink()
    return int(target.read_text(encoding="ascii").strip())


def _is_maildir(path: Path) -> bool:
    """A Maildir folder; one whose empty `cur`/`new`/`tmp` were lost (copies, version control) is made whole."""
    present = [(path / sub).is_dir() for sub in ("cur", "new", "tmp")]
    if any(present[:2]) and not all(present):
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(mode=0o700, exist_ok=True)
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


class MaildirSource:
    """A local Maildir implementing `intake.sources.Source`."""

    def __init__(self, account: MaildirAccount) -> None:
        self._path = Path(account.path)
        if not _is_maildir(self._path):
            raise FolderMissing(f"the Maildir {account.path} does not exist")
        self._root = mailbox.Maildir(self._path, factory=None, create=False)
        self._open: tuple[str, Path] | None = None

    @staticmethod
    def _parts(folder: str) -> list[str]:
        parts = [p for p in folder.split("/") if p]
        if not parts or any("." in p for p in parts):
            raise SourceError(f"folder {folder!r} is not a valid Maildir folder name")
        return parts

    def _folder_path(self, folder: str) -> Path | None:
        """The folder's directory, or None when it does not exist."""
        if folder == "INBOX":
            return self._path
        parts = self._parts(folder)
        for candidate in (self._path / ("." + ".".join(parts)), self._path.joinpath(*parts)):
            if _is_maildir(candidate):
                return candidate
        return None

    def folders(self) -> list[str]:
        names = ["INBOX"] + [name.replace(".", "/") for name in self._root.list_folders()]
        return sorted(names)

    def open_folder(self, folder: str) -> int:
        path = self._folder_path(folder)
        if path is None:
            raise FolderMissing(f"folder {folder!r} does not exist")
        try:
            uidvalidity = _read_or_create_uidvalidity(path)
        except OSError as exc:
            raise SourceError(f"the UIDVALIDITY of folder {folder!r} cannot be kept ({exc.strerror})") from None
        self._open = (folder, path)
        return uidvalidity

    def _files(self) -> dict[str, Path]:
        """Message key -> its file, in the open folder."""
        if self._open is None:
            raise SourceError("no folder is open")
        found: dict[str, Path] = {}
        for sub in _SUBDIRS:
            try:
                entries = list(os.scandir(self._open[1] / sub))
            except FileNotFoundError:
                continue
            for entry in entries:
                if not entry.name.startswith(".") and entry.is_file():
                    found[_key(entry.name)] = Path(entry.path)
        return found

    def uids(self) -> list[str]:
        timed = []
        for key, path in self._files().items():
            try:
                timed.append((path.stat().st_mtime, key))
            except FileNotFoundError:
                continue  # moved away meanwhile
        return [key for _, key in sorted(timed)]

    def fetch(self, uids: list[str]) -> Iterator[tuple[str, bytes]]:
        files = self._files()
        for uid in uids:
            _check_key(uid)
            path = files.get(uid)
            if path is None:
                continue
            try:
                yield uid, path.read_bytes()
            except FileNotFoundError:
                continue

    def move(self, uids: Sequence[str], folder: str) -> None:
        """Like IMAP's UID MOVE, a message no longer in the folder is no error."""
        for uid in uids:
            _check_key(uid)
        files = self._files()
        sources = [files[uid] for uid in uids if uid in files]
        if not sources:
            return
        try:
            target = self._folder_path(folder)
            if target is None:
                name = ".".join(self._parts(folder))
                self._root.add_folder(name)
                target = self._path / ("." + name)
            if self._open is not None and target == self._open[1]:
                return
            for source in sources:
                try:
                    os.rename(source, target / source.parent.name / source.name)
                except FileNotFoundError:
                    continue  # moved away meanwhile
        except OSError as exc:
            raise SourceError(f"moving messages to {folder!r} failed ({exc.strerror})") from None

    def flag_seen(self, uids: Sequence[str]) -> None:
        for uid in uids:
            _check_key(uid)
        files = self._files()
        for uid in uids:
            if uid in files:
                self._flag_seen(files[uid])

    def _flag_seen(self, source: Path) -> None:
        name = source.name
        info = name.split(mailbox.Maildir.colon, 1)[1] if mailbox.Maildir.colon in name else ""
        flags = info[2:] if info.startswith("2,") else ""
        if source.parent.name == "cur" and "S" in flags:
            return
        new_name = f"{_key(name)}{mailbox.Maildir.colon}2,{''.join(sorted(set(flags) | {'S'}))}"
        try:
            os.rename(source, source.parent.parent / "cur" / new_name)
        except OSError as exc:
            raise SourceError(f"marking a message seen failed ({exc.strerror})") from None

    def close(self) -> None:
        self._open = None

    def __enter__(self) -> MaildirSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
