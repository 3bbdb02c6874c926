"""settings.toml: read, validated, with errors that name the bad key. Secrets never live in it."""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from intake.config import is_loopback
from parsers.config import Limits, ParserConfig

ENV_VAR = "CPI_INTAKE_SETTINGS"
DEFAULT_PATH = Path("settings.toml")


class SettingsError(ValueError):
    """settings.toml is missing, unreadable or invalid; the message names the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Service(_Strict):
    data_dir: Path = Path("data")
    database_url: str = "sqlite:///data/cpi-intake.db"
    current_form_version: str = "v3"
    forms_dir: Path | None = None


class Parsing(_Strict):
    workers: Annotated[int, Field(ge=1, le=64)] = 2
    cpu_seconds: Annotated[int, Field(ge=1)] = 30
    memory_mb: Annotated[int, Field(ge=128)] = 1024
    wall_seconds: Annotated[float, Field(gt=0)] = 60
    max_document_mb: Annotated[float, Field(gt=0)] = 25
    max_pages: Annotated[int, Field(ge=1)] = 50
    max_unzipped_mb: Annotated[float, Field(gt=0)] = 50
    ocr_dpi: Annotated[int, Field(ge=72, le=600)] = 300
    ocr_languages: str = "eng"
    convert_seconds: Annotated[float, Field(gt=0)] = 60


class Intake(_Strict):
    max_attachment_mb: Annotated[float, Field(gt=0)] = 25
    max_message_mb: Annotated[float, Field(gt=0)] = 50
    fetch_batch: Annotated[int, Field(ge=1, le=1000)] = 50
    claim_minutes: Annotated[float, Field(gt=0)] = 15


class Mailbox(_Strict):
    name: Annotated[str, Field(min_length=1)]
    kind: Literal["imap", "maildir"] = "imap"
    enabled: bool = True
    poll_seconds: Annotated[int, Field(ge=5)] = 300
    partner_domains: list[str] = []
    # maildir
    path: Path | None = None
    # imap
    host: str | None = None
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    ca_bundle: Path | None = None
    folder: str = "INBOX"
    move: bool = True  # move processed mail; false: flag it seen and leave it in place
    processed_folder: str = "CPI/Processed"
    review_folder: str = "CPI/Needs a person"
    connect_timeout_seconds: Annotated[float, Field(gt=0)] = 30
    socket_timeout_seconds: Annotated[float, Field(gt=0)] = 60

    @model_validator(mode="before")
    @classmethod
    def _no_secret_in_file(cls, data: object) -> object:
        if isinstance(data, dict) and "password" in data:
            raise ValueError("a password must not be written in settings.toml: use password_env or password_file")
        return data

    @model_validator(mode="after")
    def _complete(self) -> Mailbox:
        if self.kind == "maildir":
            if self.path is None:
                raise ValueError("a maildir mailbox needs `path`")
            return self
        missing = [k for k in ("host", "username") if getattr(self, k) is None]
        if missing:
            raise ValueError(f"an imap mailbox needs {', '.join(missing)}")
        if self.password_env is None and self.password_file is None:
            raise ValueError("an imap mailbox needs password_env or password_file")
        if self.security == "none" and not is_loopback(self.host or ""):
            raise ValueError("security = \"none\" is only allowed for a loopback host")
        return self


class Settings(_Strict):
    service: Service = Service()
    parsing: Parsing = Parsing()
    intake: Intake = Intake()
    mailboxes: list[Mailbox] = []
    base_dir: Path = Path(".")

    @field_validator("mailboxes")
    @classmethod
    def _unique_names(cls, boxes: list[Mailbox]) -> list[Mailbox]:
        names = [b.name for b in boxes]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"mailbox names must be unique: {', '.join(dupes)}")
        return boxes

    def resolve(self, path: Path) -> Path:
        """A path from the settings, relative to the settings file's folder."""
        return path if path.is_absolute() else self.base_dir / path

    def parser_config(self) -> ParserConfig:
        p = self.parsing
        mb = 1024 * 1024
        forms = (self.resolve(self.service.forms_dir),) if self.service.forms_dir else ()
        return ParserConfig(
            current_version=self.service.current_form_version,
            forms_dirs=forms,
            limits=Limits(
                max_bytes=int(p.max_document_mb * mb),
                max_pages=p.max_pages,
                max_unzipped_bytes=int(p.max_unzipped_mb * mb),
                ocr_dpi=p.ocr_dpi,
                ocr_languages=p.ocr_languages,
                convert_seconds=p.convert_seconds,
            ),
            workers=p.workers,
            cpu_seconds=p.cpu_seconds,
            memory_mb=p.memory_mb,
            wall_seconds=p.wall_seconds,
        )


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if p not in ("function-after",)) or "(top level)"
        lines.append(f"  {loc}: {err['msg']}")
    return "\n".join(lines)


def settings_path(explicit: str | Path | None = None) -> Path:
    return Path(explicit or os.environ.get(ENV_VAR) or DEFAULT_PATH)


def load_settings(explicit: str | Path | None = None) -> Settings:
    """Read and validate settings.toml (from `explicit`, $CPI_INTAKE_SETTINGS, or ./settings.toml)."""
    path = settings_path(explicit)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SettingsError(f"settings file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    raw["base_dir"] = path.resolve().parent
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise SettingsError(f"{path}: invalid settings:\n{_describe(exc)}") from exc
    from parsers.definitions import DefinitionError, load_definitions

    try:
        versions = load_definitions(*settings.parser_config().forms_dirs)
    except DefinitionError as exc:
        raise SettingsError(f"{path}: service.forms_dir: {exc}") from exc
    if settings.service.current_form_version not in versions:
        raise SettingsError(
            f"{path}: service.current_form_version: {settings.service.current_form_version!r} has no form "
            f"definition (known: {', '.join(sorted(versions))})"
        )
    return settings
