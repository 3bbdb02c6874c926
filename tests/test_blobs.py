"""The blob store keeps originals byte-for-byte and notices when a stored file has changed."""
from __future__ import annotations

import hashlib
import os
import stat
import threading
from pathlib import Path

import pytest

from storage.blobs import BlobCorruptError, BlobStore

PAYLOADS = [b"", bytes(range(256)) * 4, b"%PDF-1.7\r\n\x00\xff" + os.urandom(1 << 20)]


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("data", PAYLOADS, ids=["empty", "all-bytes", "one-mebibyte"])
def test_put_then_get_round_trips_byte_for_byte(blob_store: BlobStore, data: bytes) -> None:
    sha256 = blob_store.put(data)
    assert sha256 == hashlib.sha256(data).hexdigest()
    assert blob_store.get(sha256) == data
    assert blob_store.exists(sha256)
    assert _files(blob_store.root) == [blob_store.root / sha256[:2] / sha256[2:4] / sha256]


def test_put_is_idempotent_and_leaves_no_temporary_files(blob_store: BlobStore) -> None:
    data = b"the same attachment, sent twice"
    first = blob_store.put(data)
    stored = blob_store.path(first).stat()
    assert blob_store.put(data) == first
    assert blob_store.path(first).stat().st_ino == stored.st_ino
    assert len(_files(blob_store.root)) == 1


def test_blobs_are_private_to_the_service(blob_store: BlobStore) -> None:
    old_umask = os.umask(0)
    try:
        sha256 = blob_store.put(b"private")
    finally:
        os.umask(old_umask)
    path = blob_store.path(sha256)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for folder in (path.parent, path.parent.parent, blob_store.root):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_corrupted_blob_is_detected_and_put_repairs_it(blob_store: BlobStore) -> None:
    data = b"original bytes of the form"
    sha256 = blob_store.put(data)
    path = blob_store.path(sha256)
    path.write_bytes(b"Original bytes of the form")
    with pytest.raises(BlobCorruptError):
        blob_store.get(sha256)
    path.write_bytes(data[:-1])
    with pytest.raises(BlobCorruptError):
        blob_store.get(sha256)
    assert blob_store.put(data) == sha256
    assert blob_store.get(sha256) == data


def test_a_missing_blob_and_a_bad_name_are_errors(blob_store: BlobStore) -> None:
    absent = hashlib.sha256(b"never stored").hexdigest()
    assert not blob_store.exists(absent)
    with pytest.raises(FileNotFoundError):
        blob_store.get(absent)
    for bad in ("../../etc/passwd", absent.upper(), absent[:-1], absent + "0"):
        with pytest.raises(ValueError):
            blob_store.get(bad)


def test_concurrent_puts_of_the_same_bytes_store_one_intact_file(blob_store: BlobStore) -> None:
    data = os.urandom(256 * 1024)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(blob_store.put(data))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and len(results) == 4
    assert blob_store.get(results[0]) == data
    assert len(_files(blob_store.root)) == 1
