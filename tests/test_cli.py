"""The cpi-intake command, verb by verb, run as a user runs it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cpi_intake.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def pick(corpus, version: str, format_id: str):
    return next(c for c in corpus if c.version == version and c.format_id == format_id)


def test_parse_json_prints_the_record(corpus):
    case = pick(corpus, "v2", "docx_typed")
    out = cli("parse", "--json", str(case.path))
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert record["status"] == "out_of_date"
    assert record["form_version"] == "v2"
    assert record["submitter"] == case.expected["submitter"]
    assert record["document"]["sha256"] == case.expected["document"]["sha256"]


def test_parse_json_of_several_files_is_an_array(corpus):
    cases = [pick(corpus, "v3", "pdf_form"), pick(corpus, "v1", "docx_template")]
    out = cli("parse", "--json", *(str(c.path) for c in cases))
    assert out.returncode == 0, out.stderr
    records = json.loads(out.stdout)
    assert [r["form_version"] for r in records] == ["v3", "v1"]
    assert [r["document"]["filename"] for r in records] == [c.path.name for c in cases]


def test_parse_summary_is_readable(corpus, tmp_path):
    case = pick(corpus, "v1", "pdf_form")
    junk = tmp_path / "notes.pdf"
    junk.write_bytes(b"%PDF-1.4 truncated")
    out = cli("parse", str(case.path), str(junk))
    assert out.returncode == 0, out.stderr
    assert f"{case.path.name}: out_of_date (v1, pdf_form)" in out.stdout
    assert "out_of_date_form" in out.stdout.split("notes.pdf")[0]
    assert "notes.pdf: unreadable" in out.stdout
    assert "reason:" in out.stdout


def test_forms_list_marks_the_current_version():
    out = cli("forms", "list")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["v1", "v2", "v3"]
    assert lines[-1].endswith("current")


def test_bad_settings_exit_non_zero_naming_the_key(tmp_path):
    bad = tmp_path / "settings.toml"
    bad.write_text("[parsing]\nworkers = -1\n")
    out = cli("--settings", str(bad), "forms", "list")
    assert out.returncode != 0
    assert "parsing.workers" in out.stderr
