"""`check_mailbox`: plain words for what is wrong with a mailbox."""
from __future__ import annotations

import mailbox
import socket
from pathlib import Path

from dovecot import Dovecot, ImapUser

from intake.check import check_mailbox
from intake.config import ImapAccount, MailboxFolders, MaildirAccount

FOLDERS = MailboxFolders()


def test_a_good_mailbox(imap_user: ImapUser) -> None:
    imap_user.append(b"Subject: x\r\n\r\nbody\r\n")
    result = check_mailbox(imap_user.account(), FOLDERS)
    assert result.ok, result.problems
    assert result.messages == 1 and "INBOX" in result.folders
    assert len(result.notes) == 2 and all("will be created" in n for n in result.notes)


def test_existing_processed_folders_need_no_note(imap_user: ImapUser) -> None:
    with imap_user.client() as box:
        box.folder.create("CPI.Processed")
        box.folder.create("CPI.Needs a person")
    result = check_mailbox(imap_user.account(), FOLDERS)
    assert result.ok and result.notes == []


def test_wrong_password(imap_user: ImapUser, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("wrong-password-9")
    result = check_mailbox(imap_user.account(password_file=wrong), FOLDERS)
    assert not result.ok
    assert "user name or password" in result.problems[0]
    assert "wrong-password-9" not in " ".join(result.problems)


def test_watched_folder_missing(imap_user: ImapUser) -> None:
    result = check_mailbox(imap_user.account(), MailboxFolders(watched="Partners"))
    assert result.problems == ["the watched folder 'Partners' does not exist"]


def test_self_signed_certificate_without_ca_bundle(dovecot: Dovecot, imap_user: ImapUser) -> None:
    result = check_mailbox(imap_user.account(security="ssl", port=dovecot.ssl_port), FOLDERS)
    assert "certificate is not trusted" in result.problems[0]
    good = check_mailbox(imap_user.account(security="ssl", port=dovecot.ssl_port, ca_bundle=dovecot.ca_cert), FOLDERS)
    assert good.ok


def test_connection_refused_and_timeout(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("pw")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    refused = check_mailbox(ImapAccount("127.0.0.1", "u", password_file=secret, port=port, security="none"), FOLDERS)
    assert "connection refused" in refused.problems[0]
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts into its backlog, never answers
        account = ImapAccount("127.0.0.1", "u", password_file=secret, port=silent.getsockname()[1],
                              security="none", connect_timeout=0.5)
        assert "timed out" in check_mailbox(account, FOLDERS).problems[0]


def test_maildir(tmp_path: Path) -> None:
    assert "does not exist" in check_mailbox(MaildirAccount(tmp_path / "nowhere"), FOLDERS).problems[0]
    mailbox.Maildir(tmp_path / "inbox", create=True).add(b"Subject: x\r\n\r\nbody\r\n")
    result = check_mailbox(MaildirAccount(tmp_path / "inbox"), FOLDERS)
    assert result.ok and result.messages == 1
