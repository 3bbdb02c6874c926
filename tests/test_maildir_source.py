"""The Maildir source over a local Maildir."""
from __future__ import annotations

import mailbox
import os
from pathlib import Path

import pytest

from intake.config import MaildirAccount
from intake.maildir import UIDVALIDITY_FILE, MaildirSource
from intake.sources import FolderMissing


def deliver(root: Path, key: str, raw: bytes, when: int, sub: str = "new", info: str = "") -> Path:
    path = root / sub / (key + info)
    path.write_bytes(raw)
    os.utime(path, (when, when))
    return path


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    root = tmp_path / "inbox"
    mailbox.Maildir(root, create=True)
    return root


def test_uids_in_delivery_order_then_key(maildir: Path) -> None:
    deliver(maildir, "b", b"B", 1000)
    deliver(maildir, "a", b"A", 1000)
    deliver(maildir, "c", b"C", 900, sub="cur", info=":2,S")
    with MaildirSource(MaildirAccount(maildir)) as src:
        src.open_folder("INBOX")
        assert src.uids() == ["c", "a", "b"]


def test_fetch_gives_exact_bytes_and_changes_nothing(maildir: Path) -> None:
    raw = b"Subject: x\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n"
    path = deliver(maildir, "k1", raw, 1000)
    src = MaildirSource(MaildirAccount(maildir))
    src.open_folder("INBOX")
    assert list(src.fetch(["k1", "gone"])) == [("k1", raw)]
    assert path.exists() and path.parent.name == "new"
    with pytest.raises(ValueError):
        list(src.fetch(["../escape"]))


def test_move_to_a_new_nested_folder(maildir: Path) -> None:
    deliver(maildir, "k1", b"one", 1000, sub="cur", info=":2,F")
    deliver(maildir, "k2", b"two", 1001)
    src = MaildirSource(MaildirAccount(maildir))
    src.open_folder("INBOX")
    src.move(["k1", "k2"], "CPI/Processed")
    assert src.uids() == []
    assert "CPI/Processed" in src.folders()
    target = maildir / ".CPI.Processed"
    assert (target / "maildirfolder").exists()
    assert (target / "cur" / "k1:2,F").read_bytes() == b"one"
    assert (target / "new" / "k2").read_bytes() == b"two"
    src.move(["k1"], "CPI/Processed")  # gone already: nothing to do, as with IMAP
    src.flag_seen(["k1"])
    src.open_folder("CPI/Processed")
    assert src.uids() == ["k1", "k2"]


def test_flag_seen_keeps_other_flags(maildir: Path) -> None:
    deliver(maildir, "k1", b"one", 1000)
    deliver(maildir, "k2", b"two", 1001, sub="cur", info=":2,F")
    src = MaildirSource(MaildirAccount(maildir))
    src.open_folder("INBOX")
    src.flag_seen(["k1", "k2"])
    src.flag_seen(["k2"])
    assert sorted(p.name for p in (maildir / "cur").iterdir()) == ["k1:2,S", "k2:2,FS"]
    assert src.uids() == ["k1", "k2"]
    assert mailbox.Maildir(maildir, create=False)["k2"].get_flags() == "FS"


def test_uidvalidity_is_stable_and_per_folder(maildir: Path) -> None:
    first = MaildirSource(MaildirAccount(maildir)).open_folder("INBOX")
    assert MaildirSource(MaildirAccount(maildir)).open_folder("INBOX") == first
    assert (maildir / UIDVALIDITY_FILE).read_text().strip() == str(first)
    (maildir / UIDVALIDITY_FILE).write_text("42\n")
    assert MaildirSource(MaildirAccount(maildir)).open_folder("INBOX") == 42
    mailbox.Maildir(maildir).add_folder("Other")
    assert MaildirSource(MaildirAccount(maildir)).open_folder("Other") > 0
    assert (maildir / ".Other" / UIDVALIDITY_FILE).exists()


def test_missing_maildir_and_folder(tmp_path: Path, maildir: Path) -> None:
    with pytest.raises(FolderMissing):
        MaildirSource(MaildirAccount(tmp_path / "nowhere"))
    with pytest.raises(FolderMissing):
        MaildirSource(MaildirAccount(maildir)).open_folder("Nope")


def test_plain_subfolder_is_used_when_present(maildir: Path) -> None:
    mailbox.Maildir(maildir / "Archive", create=True)
    deliver(maildir / "Archive", "k1", b"one", 1000)
    src = MaildirSource(MaildirAccount(maildir))
    src.open_folder("Archive")
    assert [uid for uid, _ in src.fetch(src.uids())] == ["k1"]


def test_maildir_missing_its_empty_subfolders_is_made_whole(tmp_path):
    """Version control and some copies drop empty folders: `new` alone is still a Maildir."""
    import mailbox as mb

    from intake.config import MaildirAccount
    from intake.maildir import MaildirSource

    box = mb.Maildir(tmp_path / "inbox", create=True)
    box.add(b"From: a@b.example\r\nSubject: x\r\n\r\nbody\r\n")
    (tmp_path / "inbox" / "cur").rmdir()
    (tmp_path / "inbox" / "tmp").rmdir()
    source = MaildirSource(MaildirAccount(path=tmp_path / "inbox"))
    source.open_folder("INBOX")
    assert len(source.uids()) == 1
    assert (tmp_path / "inbox" / "cur").is_dir() and (tmp_path / "inbox" / "tmp").is_dir()
