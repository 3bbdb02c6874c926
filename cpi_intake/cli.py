"""The `cpi-intake` command: a thin verb per library function."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from .settings import ENV_VAR, Settings, SettingsError, load_settings


class _Context:
    def __init__(self, settings_file: str | None) -> None:
        self.settings_file = settings_file
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.settings_file)
            except SettingsError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._settings


@click.group()
@click.option("--settings", "settings_file", envvar=ENV_VAR, type=click.Path(dir_okay=False),
              help=f"Path to settings.toml (default: ./settings.toml, or ${ENV_VAR}).")
@click.pass_context
def main(ctx: click.Context, settings_file: str | None) -> None:
    """Collect CPI forms from partner e-mail and file one normalised record per form."""
    ctx.obj = _Context(settings_file)


def _summary(record: dict[str, Any]) -> str:
    doc = record["document"]
    parts = [f"{doc['filename']}: {record['status']}"]
    if record["form_version"]:
        parts[0] += f" ({record['form_version']}, {doc['format']})"
    if record.get("reason"):
        parts.append(f"  reason: {record['reason']}")
    if record["flags"]:
        parts.append(f"  flags: {', '.join(record['flags'])}")
    if record["missing"]:
        parts.append(f"  missing: {', '.join(record['missing'])}")
    if record.get("unreadable_fields"):
        parts.append(f"  unreadable: {', '.join(record['unreadable_fields'])}")
    if record.get("risk_rules"):
        parts.append(f"  risk rules: {', '.join(record['risk_rules'])}")
    if record["categories"]:
        parts.append(f"  categories: {', '.join(record['categories'])}")
    return "\n".join(parts)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the record(s) as JSON in the spec's shape.")
@click.pass_obj
def parse(obj: _Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Parse CPI form FILES (PDF, DOCX, DOC) in isolated workers and print their records."""
    from parsers.parse import open_pool

    config = obj.settings.parser_config()
    records = []
    with open_pool(config) as pool:
        for path in files:
            records.append(pool.parse(path.read_bytes(), path.name))
    if as_json:
        out = records[0] if len(records) == 1 else records
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(_summary(r) for r in records))


@main.group()
def forms() -> None:
    """The CPI form versions this service knows."""


@forms.command("list")
@click.pass_obj
def forms_list(obj: _Context) -> None:
    """List the form definitions and which one is current."""
    from parsers.definitions import load_definitions

    config = obj.settings.parser_config()
    for version, d in sorted(load_definitions(*config.forms_dirs).items(), key=lambda kv: kv[1].issued):
        mark = "current" if version == config.current_version else ""
        click.echo(f"{version}\t{d.issued.isoformat()}\t{d.label}\t{mark}".rstrip())


@main.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: _Context) -> None:
    """Create or migrate the database schema to the latest version."""
    from storage.db import upgrade

    from .app import database_url

    upgrade(database_url(obj.settings))
    click.echo("database is up to date")


@main.group()
def mailboxes() -> None:
    """The mailboxes in settings.toml."""


@mailboxes.command("check")
@click.argument("name", required=False)
@click.pass_obj
def mailboxes_check(obj: _Context, name: str | None) -> None:
    """Log in to each mailbox (or NAME), list its folders and say what is wrong."""
    from intake.check import check_mailbox

    from .app import account, folders

    boxes = [b for b in obj.settings.mailboxes if name is None or b.name == name]
    if not boxes:
        raise click.ClickException(f"no mailbox named {name!r} in settings" if name else "no mailboxes in settings")
    failed = False
    for box in boxes:
        result = check_mailbox(account(obj.settings, box), folders(box))
        click.echo(f"{box.name}: {'ok' if result.ok else 'FAILED'} ({result.messages} messages waiting)")
        for folder in result.folders:
            click.echo(f"  folder: {folder}")
        for problem in result.problems:
            click.echo(f"  problem: {problem}")
        for note in result.notes:
            click.echo(f"  note: {note}")
        failed = failed or not result.ok
    if failed:
        sys.exit(1)


@main.command()
@click.option("--once", is_flag=True, help="One pass over every mailbox, a summary, then exit.")
@click.option("--mailbox", "only", help="Only this mailbox.")
@click.pass_obj
def run(obj: _Context, once: bool, only: str | None) -> None:
    """Poll the mailboxes and file every form (in the foreground until SIGTERM/SIGINT)."""
    from scheduler.jobs import run_forever, run_once

    from .app import jobs, service

    chosen = jobs(obj.settings, only)
    if not chosen:
        raise click.ClickException("no enabled mailboxes to poll")
    # Ids, counts and states only: no component logs names, form contents or e-mail bodies.
    logging.basicConfig(level=logging.WARNING if once else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    with service(obj.settings) as pipeline:
        if not once:
            run_forever(chosen, pipeline)
            return
        results = _run_once_with_progress(chosen, pipeline) if sys.stderr.isatty() else run_once(chosen, pipeline)
    failed = False
    for name, result in results.items():
        s = result.summary
        line = (f"{name}: {s.new} new, {s.forms} forms, {s.duplicate} duplicate, {s.unreadable} unreadable, "
                f"{s.no_form} without a form, {s.failed} failed")
        if result.skipped:
            line = f"{name}: skipped (another process is polling it, or it is backing off)"
        if result.error:
            line += f" ({result.error})"
        click.echo(line)
        failed = failed or result.error is not None
    if failed:
        sys.exit(1)


def _run_once_with_progress(chosen: list[Any], pipeline: Any) -> dict[str, Any]:
    """`run --once` with a progress bar per mailbox (when attached to a terminal)."""
    from scheduler.jobs import poll

    results = {}
    for job in chosen:
        bars: list[Any] = []

        def start(total: int, label: str = job.name) -> None:
            bars.append(click.progressbar(length=total, label=label, file=sys.stderr).__enter__())

        pipeline.on_start = start
        pipeline.on_message = lambda: bars[-1].update(1) if bars else None
        try:
            results[job.name] = poll(job, pipeline)
        finally:
            for bar in bars:
                bar.__exit__(None, None, None)
    pipeline.on_start = pipeline.on_message = None
    return results


@main.command()
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
@click.pass_obj
def export(obj: _Context, fmt: str) -> None:
    """Print every filed item: the record, the e-mail it came from and its state."""
    from storage.db import make_engine, session_factory, upgrade
    from storage.repository import export_items

    from .app import database_url

    url = database_url(obj.settings)
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            items = export_items(session)
    finally:
        engine.dispose()
    click.echo(json.dumps(items, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
