"""Files uuencoded into a plain-text body (`begin 644 form.pdf` ... `end`), as old mail programs,
scanners and some gateways send them; also the `begin-base64` form (`uuencode -m`, ending `====`).

`take_files` returns the text with each block taken out, and the files in order. A block whose
lines cannot be decoded, or that never ends, is left in the text (it may be prose that only looks
like a header).
"""
from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

MAX_FILES = 50  # blocks taken from one body

_BEGIN = re.compile(r"^begin(-base64)? +[0-7]{3,4} +(\S[^\r\n]*?)[ \t]*\r?$", re.MULTILINE)
_END = {False: re.compile(r"^end[ \t]*\r?$", re.MULTILINE),
        True: re.compile(r"^====[ \t]*\r?$", re.MULTILINE)}


@dataclass
class UuFile:
    """One decoded block: the name on its `begin` line and its bytes."""

    name: str
    data: bytes


def has_blocks(text: str) -> bool:
    """Whether `text` has a `begin` line (cheap; `take_files` decides)."""
    return _BEGIN.search(text) is not None


def take_files(text: str) -> tuple[str, list[UuFile]]:
    """`text` without its uuencoded blocks, and the files they hold."""
    files: list[UuFile] = []
    kept: list[str] = []
    position = 0
    for begin in _BEGIN.finditer(text):
        if begin.start() < position or len(files) >= MAX_FILES:
            continue
        base64 = begin.group(1) is not None
        end = _END[base64].search(text, begin.end())
        if end is None:
            break
        data = _decode(text[begin.end():end.start()], base64)
        if data is None:
            continue
        files.append(UuFile(begin.group(2), data))
        kept.append(text[position:begin.start()])
        position = end.end()
    kept.append(text[position:])
    return "".join(kept), files


def _decode(block: str, base64: bool) -> bytes | None:
    """The bytes of a block's lines; None when a line is not uuencoding (or base64)."""
    lines = [line.rstrip("\r") for line in block.strip("\r\n").split("\n")]
    try:
        if base64:
            return binascii.a2b_base64("".join(lines).encode("ascii"), strict_mode=False)
        return b"".join(_uu_line(line) for line in lines if line)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


def _uu_line(line: str) -> bytes:
    """One uuencoded line; encoders that pad or trim the last group differently are tolerated."""
    raw = line.encode("ascii")
    try:
        return binascii.a2b_uu(raw)
    except binascii.Error:
        return binascii.a2b_uu(raw[:(((raw[0] - 32) & 63) * 4 + 5) // 3])
