"""The service as admins run it: `cpi-intake run`, `export`, `db upgrade`, `mailboxes check`."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import mail_samples as ms

REPO = Path(__file__).resolve().parents[1]
FORM = ("v3-docx-template.docx", ms.example_form("v3-docx-template.docx"))


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cpi_intake.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def imap_settings(folder: Path, user, *, poll_seconds: int = 60, database_url: str | None = None,
                  password_file: Path | None = None) -> Path:
    db = database_url or "sqlite:///data/cpi-intake.db"
    text = f"""
[service]
database_url = "{db}"
[parsing]
workers = 1
[[mailboxes]]
name = "partners"
kind = "imap"
host = "127.0.0.1"
port = {user.server.port}
security = "none"
username = "{user.name}"
password_file = "{password_file or user.password_file}"
poll_seconds = {poll_seconds}
connect_timeout_seconds = 5
socket_timeout_seconds = 10
"""
    path = folder / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_run_once_on_the_bundled_examples(tmp_path):
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    shutil.copy(REPO / "settings.toml", tmp_path / "settings.toml")
    out = cli("run", "--once", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "examples: 8 new, 8 forms, 1 duplicate, 0 unreadable, 1 without a form, 0 failed" in out.stdout
    items = json.loads(cli("export", "--format", "json", cwd=tmp_path).stdout)
    states = sorted(i["state"] for i in items)
    assert states.count("filed") == 9 and states.count("no_form") == 1 and states.count("duplicate") == 1
    versions = sorted(i["form_version"] for i in items if i["form_version"])
    assert versions == ["v1", "v1", "v2", "v2", "v3", "v3", "v3", "v3"]
    assert len({i["reference"] for i in items}) == len(items)
    again = cli("run", "--once", cwd=tmp_path)
    assert "examples: 0 new" in again.stdout
    assert len(json.loads(cli("export", cwd=tmp_path).stdout)) == len(items)


def test_db_upgrade_is_idempotent(tmp_path):
    (tmp_path / "settings.toml").write_text('[service]\ndatabase_url = "sqlite:///db/x.db"\n')
    for _ in range(2):
        out = cli("db", "upgrade", cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert "up to date" in out.stdout
    assert (tmp_path / "db" / "x.db").exists()


def test_mailboxes_check_says_what_is_wrong(tmp_path, imap_user):
    imap_settings(tmp_path, imap_user)
    good = cli("mailboxes", "check", "partners", cwd=tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "partners: ok" in good.stdout
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not-the-password")
    imap_settings(tmp_path, imap_user, password_file=wrong)
    bad = cli("mailboxes", "check", cwd=tmp_path)
    assert bad.returncode == 1
    assert "FAILED" in bad.stdout and "password" in bad.stdout
    assert "not-the-password" not in bad.stdout + bad.stderr


def test_run_polls_until_sigterm_then_exits_cleanly(tmp_path, imap_user):
    imap_settings(tmp_path, imap_user, poll_seconds=5)
    proc = subprocess.Popen([sys.executable, "-m", "cpi_intake.cli", "run"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        imap_user.append(ms.email_with_forms([FORM], message_id="<live@school.sch.uk>"))
        deadline = time.monotonic() + 90
        items: list = []
        while time.monotonic() < deadline and not items:
            time.sleep(1)
            out = cli("export", cwd=tmp_path)
            items = json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else []
        assert [i["message_id"] for i in items] == ["live@school.sch.uk"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_two_runs_at_once_file_each_mail_once(tmp_path, imap_user, database_url):
    """Two `run` processes (on one machine or two) sharing a database never take the same mail."""
    with imap_user.client() as box:
        for n in range(40):
            box.append(ms.email_with_forms([FORM], message_id=f"<pair{n}@school.sch.uk>"), "INBOX")
    imap_settings(tmp_path, imap_user, database_url=database_url)
    procs = [subprocess.Popen([sys.executable, "-m", "cpi_intake.cli", "run", "--once"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    items = json.loads(cli("export", cwd=tmp_path).stdout)
    assert len(items) == 40
    assert len({i["message_id"] for i in items}) == 40
    assert all(i["state"] == "filed" for i in items)
