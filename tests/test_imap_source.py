"""The IMAP source against a real Dovecot server (fixtures from tests/dovecot.py)."""
from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dovecot import Dovecot, DropProxy, ImapUser

from intake.config import ImapAccount
from intake.imap import ImapSource, _fetched
from intake.sources import AuthenticationFailed, FolderMissing, SourceError, TlsFailure, TransientSourceError


def message(n: int, body: str = "hello") -> bytes:
    return (f"From: a{n}@example.org\r\nTo: intake@example.org\r\nSubject: test {n}\r\n"
            f"Message-ID: <m{n}@example.org>\r\n\r\n{body}\r\n").encode()


def flags(user: ImapUser, folder: str = "INBOX") -> dict[str, tuple[str, ...]]:
    """UID -> flags, read without touching \\Seen."""
    with user.client() as box:
        box.folder.set(folder, readonly=True)
        return {m.uid: m.flags for m in box.fetch(mark_seen=False, headers_only=True)}


@pytest.fixture
def source(imap_user: ImapUser) -> Iterator[ImapSource]:
    with ImapSource(imap_user.account()) as src:
        yield src


def test_fetch_returns_raw_messages_and_never_marks_seen(imap_user: ImapUser, source: ImapSource) -> None:
    sent = [message(n) for n in range(3)]
    for raw in sent:
        imap_user.append(raw)
    assert isinstance(source.open_folder("INBOX"), int)
    uids = source.uids()
    assert uids == sorted(uids, key=int) and len(uids) == 3
    assert [raw for _, raw in source.fetch(uids)] == sent
    assert all("\\Seen" not in f for f in flags(imap_user).values())


def test_fetch_takes_only_the_batch_asked_for(imap_user: ImapUser, source: ImapSource) -> None:
    for n in range(5):
        imap_user.append(message(n))
    source.open_folder("INBOX")
    uids = source.uids()
    assert [uid for uid, _ in source.fetch(uids[1:3])] == uids[1:3]
    assert [uid for uid, _ in source.fetch([uids[0], "999"])] == [uids[0]]
    assert list(source.fetch([])) == []
    with pytest.raises(ValueError):
        list(source.fetch(["1:*"]))


def test_move_creates_a_nested_folder_with_the_server_delimiter(imap_user: ImapUser, source: ImapSource) -> None:
    for n in range(2):
        imap_user.append(message(n))
    source.open_folder("INBOX")
    first, second = source.uids()
    source.move([first], "CPI/Needs a person")
    assert "CPI/Needs a person" in source.folders()
    assert source.uids() == [second]
    assert len(flags(imap_user, "CPI.Needs a person")) == 1
    source.move([second], "CPI/Needs a person")  # the folder exists now
    assert source.uids() == []
    source.move([second], "CPI/Needs a person")  # gone already: nothing to do
    source.flag_seen([second])
    assert len(flags(imap_user, "CPI.Needs a person")) == 2


@pytest.mark.parametrize("server_move", [True, False])
def test_several_messages_move_together_in_commands_of_bounded_size(
        imap_user: ImapUser, source: ImapSource, monkeypatch: pytest.MonkeyPatch, server_move: bool) -> None:
    for n in range(6):
        imap_user.append(message(n))
    source.open_folder("INBOX")
    uids = source.uids()
    if not server_move:
        source._caps.discard("MOVE")
    monkeypatch.setattr("intake.imap.UIDS_PER_COMMAND", 2)
    source.move(uids[:1], "CPI/Processed")
    source.move(uids[:5], "CPI/Processed")  # the first is gone already: the rest still move
    assert source.uids() == uids[5:]
    assert len(flags(imap_user, "CPI.Processed")) == 5
    source.flag_seen(uids[4:])
    assert "\\Seen" in flags(imap_user)[uids[5]]


def test_move_without_server_move_expunges_only_that_message(imap_user: ImapUser, source: ImapSource) -> None:
    for n in range(2):
        imap_user.append(message(n))
    source.open_folder("INBOX")
    first, second = source.uids()
    with imap_user.client() as box:
        box.folder.set("INBOX")
        box.client.uid("STORE", second, "+FLAGS.SILENT", r"(\Deleted)")  # someone else's pending delete
    source._caps.discard("MOVE")
    source.move([first], "CPI/Processed")
    assert source.uids() == [second]
    assert len(flags(imap_user, "CPI.Processed")) == 1


def test_flag_seen_marks_one_message(imap_user: ImapUser, source: ImapSource) -> None:
    for n in range(2):
        imap_user.append(message(n))
    source.open_folder("INBOX")
    first, second = source.uids()
    source.flag_seen([first])
    seen = flags(imap_user)
    assert "\\Seen" in seen[first] and "\\Seen" not in seen[second]
    assert source.uids() == [first, second]


def test_uidvalidity_is_reported_and_a_change_is_seen(dovecot: Dovecot, imap_user: ImapUser) -> None:
    with ImapSource(imap_user.account()) as src:
        before = src.open_folder("INBOX")
        assert src.open_folder("INBOX") == before
    dovecot.set_uidvalidity(imap_user.name, "INBOX", before + 1000)
    with ImapSource(imap_user.account()) as src:
        assert src.open_folder("INBOX") == before + 1000


def test_wrong_password_is_refused_without_revealing_it(imap_user: ImapUser, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password-x1\n")
    with pytest.raises(AuthenticationFailed) as caught:
        ImapSource(imap_user.account(password_file=wrong))
    text = str(caught.value) + repr(caught.value.__cause__) + repr(caught.value.__context__)
    assert "not-the-password-x1" not in text and imap_user.password not in text
    assert "user name or password" in str(caught.value)


def test_password_from_the_environment(imap_user: ImapUser, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPI_TEST_IMAP_PASSWORD", imap_user.password)
    with ImapSource(imap_user.account(password_env="CPI_TEST_IMAP_PASSWORD", password_file=None)) as src:
        assert "INBOX" in src.folders()
    monkeypatch.delenv("CPI_TEST_IMAP_PASSWORD")
    with pytest.raises(SourceError, match="CPI_TEST_IMAP_PASSWORD is not set"):
        ImapSource(imap_user.account(password_env="CPI_TEST_IMAP_PASSWORD", password_file=None))


def test_missing_folder(source: ImapSource) -> None:
    with pytest.raises(FolderMissing, match="Nowhere"):
        source.open_folder("Nowhere/Else")


def test_connection_dropped_mid_fetch_is_transient(imap_user: ImapUser, imap_proxy: DropProxy) -> None:
    imap_user.append(message(1, body="x" * 200_000))
    with ImapSource(imap_user.account(port=imap_proxy.port)) as src:
        src.open_folder("INBOX")
        uids = src.uids()
        imap_proxy.drop_after(5000)
        with pytest.raises(TransientSourceError):
            list(src.fetch(uids))
    with ImapSource(imap_user.account()) as src:  # nothing was lost
        src.open_folder("INBOX")
        assert len(list(src.fetch(src.uids()))) == 1


def test_kicked_session_is_transient(dovecot: Dovecot, imap_user: ImapUser, source: ImapSource) -> None:
    imap_user.append(message(1))
    source.open_folder("INBOX")
    dovecot.kick(imap_user.name)
    deadline = time.monotonic() + 10  # the kick closes the session asynchronously
    with pytest.raises(TransientSourceError):
        while time.monotonic() < deadline:
            source.uids()
            time.sleep(0.05)


def test_server_restart_is_transient_then_recovers(dovecot: Dovecot, imap_user: ImapUser, source: ImapSource) -> None:
    imap_user.append(message(1))
    source.open_folder("INBOX")
    dovecot.restart()
    with pytest.raises(TransientSourceError):
        list(source.fetch(source.uids()))
    with ImapSource(imap_user.account()) as again:
        again.open_folder("INBOX")
        assert len(again.uids()) == 1


def test_self_signed_certificate_needs_the_ca_bundle(dovecot: Dovecot, imap_user: ImapUser) -> None:
    for security, port in (("ssl", dovecot.ssl_port), ("starttls", dovecot.port)):
        with pytest.raises(TlsFailure, match="not trusted"):
            ImapSource(imap_user.account(security=security, port=port))
        with ImapSource(imap_user.account(security=security, port=port, ca_bundle=dovecot.ca_cert)) as src:
            assert isinstance(src.open_folder("INBOX"), int)


def test_security_none_is_refused_for_a_remote_host(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to connect")

    monkeypatch.setattr(socket, "create_connection", no_network)
    secret = tmp_path / "secret"
    secret.write_text("pw")
    account = ImapAccount(host="imap.example.org", username="u", password_file=secret, security="none")
    with pytest.raises(TlsFailure, match="loopback"):
        ImapSource(account)


def test_connection_refused_is_transient(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("pw")
    port = _closed_port()
    account = ImapAccount(host="127.0.0.1", port=port, username="u", password_file=secret, security="none")
    with pytest.raises(TransientSourceError, match="connection refused"):
        ImapSource(account)


def test_silent_server_times_out(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("pw")
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts into its backlog, never answers
        account = ImapAccount(host="127.0.0.1", port=silent.getsockname()[1], username="u", password_file=secret,
                              security="none", connect_timeout=0.5)
        with pytest.raises(TransientSourceError, match="timed out"):
            ImapSource(account)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_uid_found_before_or_after_the_body() -> None:
    data = [(b"1 (UID 5 BODY[] {3}", b"abc"), b")", (b"2 (BODY[] {2}", b"xy"), b" UID 9)"]
    assert list(_fetched(data)) == [("5", b"abc"), ("9", b"xy")]


def test_unreadable_ca_bundle_is_a_tls_failure(dovecot: Dovecot, imap_user: ImapUser, tmp_path: Path) -> None:
    bad = tmp_path / "bundle.pem"
    bad.write_text("not a certificate")
    with pytest.raises(TlsFailure, match="ca_bundle"):
        ImapSource(imap_user.account(security="ssl", port=dovecot.ssl_port, ca_bundle=bad))
