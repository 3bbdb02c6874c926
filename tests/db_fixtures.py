"""Database fixtures (a pytest plugin): fresh SQLite files and fresh databases on a real PostgreSQL.

PostgreSQL comes from CPI_TEST_POSTGRES_URL (a role allowed to create databases) or, failing that,
a throw-away cluster started here on 127.0.0.1 when initdb and pg_ctl are installed.
"""
from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from storage.blobs import BlobStore
from storage.db import make_engine, session_factory, upgrade

POSTGRES_ENV = "CPI_TEST_POSTGRES_URL"
UNPRIVILEGED_USER = "nobody"


def _postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl (on PATH, else Debian's newest), or None."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found and Path(found[-1]).with_name("initdb").exists() else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ThrowAwayCluster:
    """A PostgreSQL cluster in a temporary folder, on 127.0.0.1 and a free port (unprivileged when root)."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="cpi-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.password = secrets.token_hex(16)
        self.run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            user = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self.run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://cpi:{self.password}@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.folder), "LC_ALL": "C"}
        done = subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]], cwd=self.folder, env=env,
            capture_output=True, text=True, timeout=120, **self.run_as,
        )
        if done.returncode != 0:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr[-2000:]}{tail}")

    def start(self) -> None:
        password_file = self.folder / "password"
        password_file.write_text(self.password)
        if self.run_as:
            os.chown(password_file, self.run_as["user"], self.run_as["group"])
        password_file.chmod(0o600)
        self._run("initdb", "-D", str(self.data), "-U", "cpi", f"--pwfile={password_file}",
                  "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-sync")
        password_file.unlink()
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.folder} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A URL on a running PostgreSQL whose role may create databases; skips when there is none."""
    configured = os.environ.get(POSTGRES_ENV)
    if configured:
        yield configured
        return
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip(f"PostgreSQL not available: set {POSTGRES_ENV} or install the server (initdb, pg_ctl)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(UNPRIVILEGED_USER)
        except KeyError:
            pytest.skip(f"PostgreSQL cannot run as root and there is no '{UNPRIVILEGED_USER}' user")
    cluster = ThrowAwayCluster(bin_dir)
    try:
        cluster.start()
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def _postgres_admin(postgres_server_url: str) -> Iterator[Engine]:
    engine = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_server_url: str, _postgres_admin: Engine) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped afterwards)."""
    name = f"cpi_test_{secrets.token_hex(6)}"
    with _postgres_admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    yield make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    with _postgres_admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file that does not exist yet, in a folder that does not exist yet."""
    return f"sqlite:///{tmp_path / 'data' / 'cpi-intake.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database: once on SQLite, once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@pytest.fixture
def db_engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database migrated to the newest schema."""
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def db_session(db_engine: Engine) -> Iterator[Session]:
    """A session on `db_engine`; the test commits what it wants kept."""
    with session_factory(db_engine)() as session:
        yield session


@pytest.fixture
def blob_store(tmp_path: Path) -> BlobStore:
    """An empty blob store in a temporary folder."""
    return BlobStore(tmp_path / "blobs")
