"""Content-addressed files: each blob is stored under its SHA-256 and checked when read."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class BlobCorruptError(Exception):
    """A stored blob no longer matches its SHA-256."""


class BlobStore:
    """Blobs under `root/ab/cd/<sha256>`; files 0600, folders 0700."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """Where the blob named `sha256` lives (ValueError for anything but 64 lower-case hex digits)."""
        if not SHA256_HEX.fullmatch(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store `data` (atomically, once) and return its SHA-256 hex digest."""
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if target.exists() and target.read_bytes() == data:
            return sha256
        self._make_folders(target.parent)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _fsync_folder(target.parent)
        return sha256

    def get(self, sha256: str) -> bytes:
        """The blob's bytes; FileNotFoundError if absent, BlobCorruptError if they do not match."""
        data = self.path(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise BlobCorruptError(f"blob {sha256} does not match its hash")
        return data

    def exists(self, sha256: str) -> bool:
        """Whether a blob named `sha256` is stored (its content is not checked)."""
        return self.path(sha256).is_file()

    def _make_folders(self, folder: Path) -> None:
        for part in (self.root, folder.parent, folder):
            if not part.is_dir():
                part.mkdir(mode=0o700, parents=True, exist_ok=True)
                part.chmod(0o700)
                _fsync_folder(part.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
