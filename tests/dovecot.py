"""A real Dovecot IMAP server for tests (a pytest plugin: add "dovecot" to `pytest_plugins`).

Fixtures:
- `dovecot` (session): a `Dovecot` on 127.0.0.1 with a plain listener (`port`, STARTTLS offered)
  and an SSL listener (`ssl_port`) whose self-signed certificate is `ca_cert`.
- `imap_user` (function): a fresh `ImapUser` with an empty mailbox; `account()` gives an
  `ImapAccount` for it, `append(raw)` puts a message in, `client()` a logged-in imap-tools box.
- `imap_proxy` (function): a `DropProxy` in front of the plain listener that can cut the
  connection after a number of bytes from the server (a server dropping mid-fetch).

Skips only when Dovecot is not installed.
"""
from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

from intake.config import ImapAccount

HOST = "127.0.0.1"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, alive: subprocess.Popen[bytes], log: Path, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if alive.poll() is not None:
            break
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"dovecot did not start listening on port {port}:\n{tail}")


def _version() -> tuple[int, int]:
    out = subprocess.run([DOVECOT, "--version"], capture_output=True, text=True, check=True).stdout
    major, minor = out.split()[0].split(".")[:2]
    return int(major), int(minor)


def _make_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@dataclass(frozen=True)
class _Accounts:
    """Who runs what: dovecot's internal and login users, and the owner of the mail."""

    internal: str
    login: str
    mail_uid: int
    mail_gid: int

    @classmethod
    def pick(cls) -> _Accounts:
        if os.geteuid() != 0:
            me = pwd.getpwuid(os.geteuid())
            return cls(me.pw_name, me.pw_name, me.pw_uid, me.pw_gid)
        nobody = pwd.getpwnam("nobody")
        return cls("dovecot", "dovenull", nobody.pw_uid, nobody.pw_gid)


def _config(root: Path, port: int, ssl_port: int, cert: Path, key: Path, who: _Accounts) -> str:
    passwd = root / "passwd.d"
    if _version() >= (2, 4):
        return f"""dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
protocols = imap
listen = {HOST}
base_dir = {root}/run
state_dir = {root}/state
instance_name = cpi-test-{port}
log_path = {root}/dovecot.log
default_internal_user = {who.internal}
default_login_user = {who.login}
first_valid_uid = {who.mail_uid}
last_valid_uid = {who.mail_uid}
auth_allow_cleartext = yes
auth_mechanisms = plain login
auth_failure_delay = 0
ssl = yes
ssl_server_cert_file = {cert}
ssl_server_key_file = {key}
mail_driver = maildir
mail_path = ~/Maildir
mail_home = {root}/home/%{{user}}
namespace inbox {{
  inbox = yes
  separator = .
}}
passdb passwd-file {{
  passwd_file_path = {passwd}/%{{user}}
}}
userdb passwd-file {{
  passwd_file_path = {passwd}/%{{user}}
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {ssl_port}
    ssl = yes
  }}
}}
"""
    return f"""protocols = imap
listen = {HOST}
base_dir = {root}/run
state_dir = {root}/state
instance_name = cpi-test-{port}
log_path = {root}/dovecot.log
default_internal_user = {who.internal}
default_login_user = {who.login}
first_valid_uid = {who.mail_uid}
last_valid_uid = {who.mail_uid}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = .
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {passwd}/%u
}}
userdb {{
  driver = passwd-file
  args = {passwd}/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {ssl_port}
    ssl = yes
  }}
}}
"""


class Dovecot:
    """A running Dovecot in a temporary folder; `stop()` removes it."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="cpi-dovecot-"))
        self.root.chmod(0o755)  # the mail and login users must reach their files
        self._who = _Accounts.pick()
        for sub in ("run", "state", "home"):
            (self.root / sub).mkdir()
        os.chown(self.root / "home", self._who.mail_uid, self._who.mail_gid)
        self.ca_cert, key = _make_certificate(self.root)
        self.passwd = self.root / "passwd.d"  # one passwd-file per user: each is read fresh
        self.passwd.mkdir(mode=0o700)
        self._internal = pwd.getpwnam(self._who.internal)
        for path in (self.passwd, key):
            os.chown(path, self._internal.pw_uid, self._internal.pw_gid)
        self.port, self.ssl_port = free_port(), free_port()
        self.conf = self.root / "dovecot.conf"
        self.conf.write_text(_config(self.root, self.port, self.ssl_port, self.ca_cert, key, self._who))
        self.log = self.root / "dovecot.log"
        self._users = 0
        self._process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self._process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, self._process, self.log)
        _wait_for_port(self.ssl_port, self._process, self.log)

    def halt(self) -> None:
        """Stop the server (every connection drops); `start()` brings it back on the same ports."""
        if self._process is not None and self._process.poll() is None:
            # Sessions outlive the master process: end them first, as a crash or reboot would.
            subprocess.run([DOVEADM, "-c", str(self.conf), "kick", "*"], capture_output=True, timeout=30)
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def restart(self) -> None:
        self.halt()
        self.start()

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)

    def doveadm(self, *args: str) -> str:
        done = subprocess.run([DOVEADM, "-c", str(self.conf), *args], capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"doveadm {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def add_user(self) -> ImapUser:
        """A new user with an empty mailbox and a generated password."""
        self._users += 1
        name = f"user{self._users}"
        password = secrets.token_urlsafe(16)
        home = self.root / "home" / name
        home.mkdir()
        os.chown(home, self._who.mail_uid, self._who.mail_gid)
        line = f"{name}:{{PLAIN}}{password}:{self._who.mail_uid}:{self._who.mail_gid}::{home}::\n"
        entry = self.passwd / name
        entry.write_text(line)
        entry.chmod(0o600)
        os.chown(entry, self._internal.pw_uid, self._internal.pw_gid)
        secret = self.root / f"{name}.password"
        secret.write_text(password + "\n")
        secret.chmod(0o600)
        return ImapUser(self, name, password, secret)

    def kick(self, user: str) -> None:
        """Disconnect every IMAP session of `user`."""
        self.doveadm("kick", user)

    def set_uidvalidity(self, user: str, folder: str, value: int) -> None:
        """Give a folder a new UIDVALIDITY (as after a server-side rebuild); close its sessions first."""
        self.doveadm("mailbox", "update", "-u", user, "--uid-validity", str(value), folder)


@dataclass(frozen=True)
class ImapUser:
    server: Dovecot
    name: str
    password: str
    password_file: Path

    def account(self, **changes: object) -> ImapAccount:
        """An account on the plain listener (security "none" on loopback); `changes` override fields."""
        base = ImapAccount(host=HOST, port=self.server.port, security="none", username=self.name,
                           password_file=self.password_file, connect_timeout=5, socket_timeout=10)
        return replace(base, **changes)  # type: ignore[arg-type]

    @contextlib.contextmanager
    def client(self) -> Iterator[MailBoxUnencrypted]:
        with MailBoxUnencrypted(HOST, self.server.port, timeout=10).login(self.name, self.password,
                                                                          initial_folder=None) as box:
            yield box

    def append(self, raw: bytes, folder: str = "INBOX", flags: tuple[str, ...] = ()) -> None:
        """Put a raw message into `folder` (its server name, e.g. "CPI.Processed")."""
        with self.client() as box:
            box.append(raw, folder, flag_set=flags)


class DropProxy:
    """A TCP relay to the server; `drop_after(n)` cuts the connection after n more bytes from the server."""

    def __init__(self, port: int) -> None:
        self._target = port
        self._listener = socket.create_server((HOST, 0))
        self.port = self._listener.getsockname()[1]
        self._budget: int | None = None
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def drop_after(self, count: int) -> None:
        with self._lock:
            self._budget = count

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection((HOST, self._target))
            self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_server: bool) -> None:
        try:
            while data := src.recv(4096):
                if from_server:
                    with self._lock:
                        if self._budget is not None:
                            data = data[: self._budget]
                            self._budget -= len(data)
                    if not data:
                        break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._listener.close()
        for s in self._sockets:
            s.close()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if not os.path.exists(DOVECOT):
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    server = Dovecot()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def imap_user(dovecot: Dovecot) -> ImapUser:
    return dovecot.add_user()


@pytest.fixture
def imap_proxy(dovecot: Dovecot) -> Iterator[DropProxy]:
    proxy = DropProxy(dovecot.port)
    yield proxy
    proxy.close()
