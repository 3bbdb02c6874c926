"""IMAP source (imap-tools over imaplib): read by UID, never mark seen, move or flag by UID sets."""
from __future__ import annotations

import imaplib
import re
import socket
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError, MailboxStarttlsError
from imap_tools.utils import encode_folder

from intake.config import ImapAccount, is_loopback
from intake.sources import AuthenticationFailed, FolderMissing, SourceError, TlsFailure, TransientSourceError

_FETCH_UID = re.compile(rb"\bUID (\d+)")
_TEMPORARY = (b"[UNAVAILABLE]", b"[INUSE]", b"[SERVERBUG]")
UIDS_PER_COMMAND = 500


def _lost(exc: BaseException) -> str:
    """Plain words for a network-level failure."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    if isinstance(exc, imaplib.IMAP4.abort):
        return "the server closed the connection"
    return "the connection failed"


@contextmanager
def _mapped(action: str) -> Iterator[None]:
    """Turn imaplib, imap-tools and socket errors into source errors naming `action`."""
    try:
        yield
    except SourceError:
        raise
    except ssl.SSLCertVerificationError as exc:
        raise TlsFailure(f"{action}: the server's certificate is not trusted ({exc.verify_message})") from None
    except ssl.SSLError as exc:
        raise TransientSourceError(f"{action}: the secure connection failed ({exc.reason or 'TLS error'})") from None
    except (imaplib.IMAP4.abort, OSError) as exc:
        raise TransientSourceError(f"{action}: {_lost(exc)}") from None
    except imaplib.IMAP4.error:
        raise SourceError(f"{action}: the server rejected the command") from None


def _check(result: tuple, action: str) -> list:
    """The data of an OK response; a NO or BAD becomes a SourceError (transient if the server says so)."""
    typ, data = result[0], result[1]
    if typ != "OK":
        text = b" ".join(d for d in data if isinstance(d, bytes))
        if any(t in text for t in _TEMPORARY):
            raise TransientSourceError(f"{action}: the server is temporarily unavailable")
        raise SourceError(f"{action}: the server answered {typ}")
    return data


def _uid_set(uids: Sequence[str]) -> str:
    for uid in uids:
        if not uid.isdigit():
            raise ValueError("an IMAP UID is a number")
    return ",".join(uids)


def _uid_sets(uids: Sequence[str]) -> Iterator[str]:
    """UID sets of at most UIDS_PER_COMMAND UIDs, so a command line stays short."""
    for i in range(0, len(uids), UIDS_PER_COMMAND):
        yield _uid_set(uids[i:i + UIDS_PER_COMMAND])


def _ssl_context(account: ImapAccount) -> ssl.SSLContext:
    """Certificate and host name checks on; `ca_bundle` replaces the system's trusted CAs."""
    try:
        return ssl.create_default_context(cafile=account.ca_bundle)
    except (OSError, ssl.SSLError):
        raise TlsFailure("the ca_bundle file cannot be read as PEM certificates") from None


def _fetched(data: list) -> Iterator[tuple[str, bytes]]:
    """(uid, body) from a UID FETCH response, wherever the server put the UID item."""
    for i, item in enumerate(data):
        if not (isinstance(item, tuple) and len(item) == 2):
            continue
        found = _FETCH_UID.search(item[0])
        if found is None and i + 1 < len(data) and isinstance(data[i + 1], bytes):
            found = _FETCH_UID.search(data[i + 1])
        if found is not None:
            yield found.group(1).decode("ascii"), item[1]


class ImapSource:
    """A logged-in IMAP connection implementing `intake.sources.Source`."""

    def __init__(self, account: ImapAccount) -> None:
        if account.security == "none" and not is_loopback(account.host):
            raise TlsFailure('security "none" is only allowed for a loopback host')
        self._where = f"{account.host}:{account.effective_port}"
        password = account.password()
        self._folder: str | None = None
        self._ensured: set[str] = set()
        self._box: BaseMailBox | None = self._connect(account)
        try:
            self._login(account.username, password)
            with _mapped("reading the server's capabilities"):
                caps = _check(self._client.capability(), "reading the server's capabilities")
            self._caps = set(b" ".join(caps).decode("ascii", "replace").upper().split())
            self._delimiter = self._find_delimiter()
        except BaseException:
            self.close()
            raise

    def _connect(self, account: ImapAccount) -> BaseMailBox:
        host, port, timeout = account.host, account.effective_port, account.connect_timeout
        with _mapped(f"connecting to {self._where}"):
            try:
                if account.security == "none":
                    box: BaseMailBox = MailBoxUnencrypted(host, port, timeout=timeout)
                else:
                    context = _ssl_context(account)
                    if account.security == "ssl":
                        box = MailBox(host, port, timeout=timeout, ssl_context=context)
                    else:
                        box = MailBoxStartTls(host, port, timeout=timeout, ssl_context=context)
            except ssl.SSLCertVerificationError:
                raise
            except ssl.SSLError as exc:
                raise TlsFailure(f"connecting to {self._where}: TLS failed ({exc.reason or 'handshake error'})") from None
            except MailboxStarttlsError:
                raise TlsFailure(f"connecting to {self._where}: the server refused STARTTLS") from None
            except imaplib.IMAP4.error as exc:
                if "TLS not supported" in str(exc):
                    raise TlsFailure(f"connecting to {self._where}: the server does not offer STARTTLS") from None
                raise
            box.client.sock.settimeout(account.socket_timeout)
        return box

    def _login(self, username: str, password: str) -> None:
        action = f"logging in to {self._where}"
        with _mapped(action):
            try:
                self._mailbox.login(username, password, initial_folder=None)
            except MailboxLoginError as exc:
                text = b" ".join(d for d in exc.command_result[1] if isinstance(d, bytes))
                if any(t in text for t in _TEMPORARY):
                    raise TransientSourceError(f"{action}: the server is temporarily unavailable") from None
                if b"[PRIVACYREQUIRED]" in text or b"[CLIENTBUG]" in text:
                    raise TlsFailure(f"{action}: the server refuses a password over this connection") from None
                raise AuthenticationFailed(f"{action}: the server refused the user name or password") from None
            except imaplib.IMAP4.error as exc:
                if isinstance(exc, imaplib.IMAP4.abort):
                    raise
                raise AuthenticationFailed(f"{action}: the server refused the login") from None

    @property
    def _mailbox(self) -> BaseMailBox:
        if self._box is None:
            raise SourceError("the connection is closed")
        return self._box

    @property
    def _client(self) -> imaplib.IMAP4:
        return self._mailbox.client

    def _find_delimiter(self) -> str:
        with _mapped("listing folders"):
            root = self._mailbox.folder.list("", "")
        return root[0].delim if root and root[0].delim not in ("", "NIL") else "/"

    def _server_name(self, folder: str) -> str:
        return folder.replace("/", self._delimiter)

    def _plain_name(self, name: str) -> str:
        return name.replace(self._delimiter, "/")

    def folders(self) -> list[str]:
        with _mapped("listing folders"):
            found = self._mailbox.folder.list()
        return sorted(self._plain_name(f.name) for f in found if "\\NOSELECT" not in (x.upper() for x in f.flags))

    def _exists(self, folder: str) -> bool:
        with _mapped("listing folders"):
            return any(f.name == self._server_name(folder) for f in self._mailbox.folder.list("", self._server_name(folder)))

    def open_folder(self, folder: str) -> int:
        action = f"opening folder {folder!r}"
        self._folder = None
        with _mapped(action):
            typ, data = self._client.select(encode_folder(self._server_name(folder)))
            if typ != "OK":
                if not self._exists(folder):
                    raise FolderMissing(f"folder {folder!r} does not exist")
                _check((typ, data), action)
            _, values = self._client.response("UIDVALIDITY")
            if not values or values[0] is None:
                raise SourceError(f"{action}: the server did not report its UIDVALIDITY")
            self._folder = folder
            return int(values[-1])

    def _selected(self) -> None:
        if self._folder is None:
            raise SourceError("no folder is open")

    def uids(self) -> list[str]:
        self._selected()
        action = "listing messages"
        with _mapped(action):
            data = _check(self._client.uid("SEARCH", "ALL"), action)
        found = b" ".join(d for d in data if isinstance(d, bytes)).split()
        return [str(n) for n in sorted(int(u) for u in found)]

    def fetch(self, uids: list[str]) -> Iterator[tuple[str, bytes]]:
        self._selected()
        if not uids:
            return
        action = f"fetching {len(uids)} messages"
        with _mapped(action):
            data = _check(self._client.uid("FETCH", _uid_set(uids), "(UID BODY.PEEK[])"), action)
        yield from _fetched(data)

    def _ensure_folder(self, folder: str) -> None:
        """Create `folder` if missing; checked once per connection (a move per e-mail must not LIST)."""
        if folder in self._ensured or self._exists(folder):
            self._ensured.add(folder)
            return
        action = f"creating folder {folder!r}"
        with _mapped(action):
            result = self._client._simple_command("CREATE", encode_folder(self._server_name(folder)))
            if result[0] != "OK" and not self._exists(folder):
                _check(result, action)
            self._client.subscribe(encode_folder(self._server_name(folder)))
        self._ensured.add(folder)

    def move(self, uids: Sequence[str], folder: str) -> None:
        self._selected()
        if not uids:
            return
        self._ensure_folder(folder)
        target = encode_folder(self._server_name(folder))
        action = f"moving {len(uids)} messages to {folder!r}"
        with _mapped(action):
            for uid_set in _uid_sets(uids):
                if "MOVE" in self._caps:
                    _check(self._client.uid("MOVE", uid_set, target), action)
                    continue
                _check(self._client.uid("COPY", uid_set, target), action)
                _check(self._client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)"), action)
                if "UIDPLUS" in self._caps:
                    _check(self._client.uid("EXPUNGE", uid_set), action)

    def flag_seen(self, uids: Sequence[str]) -> None:
        self._selected()
        action = f"marking {len(uids)} messages seen"
        with _mapped(action):
            for uid_set in _uid_sets(uids):
                _check(self._client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Seen)"), action)

    def close(self) -> None:
        """Log out (never CLOSE: that would expunge) and drop the socket; errors are ignored."""
        box = getattr(self, "_box", None)
        if box is None:
            return
        try:
            box.client.logout()
        except (imaplib.IMAP4.error, OSError, ValueError):
            pass
        try:
            box.client.shutdown()
        except (OSError, ValueError, AttributeError):
            pass
        self._box = None

    def __enter__(self) -> ImapSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
