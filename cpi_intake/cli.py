"""The `cpi-intake` command: a thin verb per library function."""
from __future__ import annotations

import json
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
