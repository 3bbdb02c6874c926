"""The files attached to an Outlook `.msg` e-mail (an e-mail dragged into another e-mail).

A `.msg` is an OLE2 compound file: each attachment is a storage `__attach_version1.0_#NNNNNNNN`
whose stream `__substg1.0_37010102` holds its bytes and `__substg1.0_3707001F` / `3704001F`
(or the 8-bit `...001E` streams) its long / short name. An attached e-mail is a storage
`__substg1.0_3701000D` laid out like a message of its own; its files are returned too, their
`folders` naming the e-mails they are in, down to `max_depth` e-mails deep.

Decisions:
- Read with olefile (already used to sniff Word files); a heavier library that renders bodies is
  not needed to take attachments out.
- An attached e-mail deeper than `max_depth` is returned as a `deep` entry, not opened. A `.msg`
  is no larger than the attachment limit, so neither is any stream read from it.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import olefile

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
MAX_ATTACHMENTS = 500  # in one .msg, attached e-mails included

_ATTACH = "__attach_version1.0_#"
_DATA = "__substg1.0_37010102"
_EMBEDDED = "__substg1.0_3701000D"
_NAMES = ("__substg1.0_3707001F", "__substg1.0_3707001E", "__substg1.0_3704001F",
          "__substg1.0_3704001E", "__substg1.0_3001001F", "__substg1.0_3001001E")
_SUBJECT = ("__substg1.0_0037001F", "__substg1.0_0037001E")
_MESSAGE_MARKERS = ("__properties_version1.0", "__substg1.0_001A001F", "__substg1.0_001A001E")
_MAX_NAME_BYTES = 2048


class MsgError(Exception):
    """The file cannot be read; the message is the reason in plain words."""


@dataclass
class MsgFile:
    """One attachment: the attached e-mails it is in (their subjects), its name and bytes."""

    folders: list[str] = field(default_factory=list)
    name: str | None = None
    data: bytes = b""
    deep: bool = False  # an attached e-mail beyond max_depth, not opened


def is_outlook_msg(data: bytes) -> bool:
    """Whether `data` is an OLE2 file laid out as an Outlook message."""
    if not data.startswith(OLE_MAGIC):
        return False
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return any(ole.exists(name) for name in _MESSAGE_MARKERS)
    except Exception:  # olefile raises many types on damaged files
        return False


def read_msg(data: bytes, max_depth: int) -> list[MsgFile]:
    """The attachments of a `.msg`, in order, those of attached e-mails after their e-mail's place."""
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            files: list[MsgFile] = []
            _message(ole, [], [], 1, max_depth, files)
            return files
    except MsgError:
        raise
    except Exception:  # olefile raises many types on damaged files
        raise MsgError("the attached Outlook e-mail (.msg) is damaged and cannot be read") from None


def _message(ole: olefile.OleFileIO, storage: list[str], folders: list[str], depth: int,
             max_depth: int, files: list[MsgFile]) -> None:
    """The attachments of the message at `storage` ([] for the file's own message)."""
    for attach in _attachment_storages(ole, storage):
        if len(files) >= MAX_ATTACHMENTS:
            raise MsgError(f"the attached Outlook e-mail (.msg) holds more than {MAX_ATTACHMENTS} files")
        name = _text(ole, attach, _NAMES)
        if ole.exists("/".join([*attach, _DATA])):
            files.append(MsgFile(folders, name, ole.openstream("/".join([*attach, _DATA])).read()))
        elif ole.exists("/".join([*attach, _EMBEDDED])):
            inner = [*attach, _EMBEDDED]
            subject = _text(ole, inner, _SUBJECT) or name or "attached e-mail"
            if depth >= max_depth:
                files.append(MsgFile(folders, subject + ".msg", deep=True))
            else:
                _message(ole, inner, [*folders, subject + ".msg"], depth + 1, max_depth, files)


def _attachment_storages(ole: olefile.OleFileIO, storage: list[str]) -> list[list[str]]:
    """The attachment storages directly under `storage`, in attachment-number order."""
    found = {tuple(entry[:len(storage) + 1]) for entry in ole.listdir(streams=True, storages=True)
             if len(entry) > len(storage) and entry[:len(storage)] == storage
             and entry[len(storage)].startswith(_ATTACH)}
    return sorted((list(entry) for entry in found), key=lambda entry: entry[-1])


def _text(ole: olefile.OleFileIO, storage: list[str], names: tuple[str, ...]) -> str | None:
    """The first of the string streams `names` under `storage` that is present and not empty."""
    for name in names:
        path = "/".join([*storage, name])
        if ole.exists(path) and 0 < ole.get_size(path) <= _MAX_NAME_BYTES:
            raw = ole.openstream(path).read()
            text = raw.decode("utf-16-le" if name.endswith("1F") else "cp1252", errors="replace")
            text = text.split("\0", 1)[0].strip()
            if text:
                return text
    return None
