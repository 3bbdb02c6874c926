"""Normalisation of answers: UK dates, postcodes, e-mail, phone numbers, text and choices."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

import phonenumbers
from dateutil import parser as dateparser

_SPACES = re.compile(r"[^\S\n]+")
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[./\-\s](\d{1,2})[./\-\s](\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_HAS_MONTH_NAME = re.compile(r"[A-Za-z]{3,}")


class Unreadable(ValueError):
    """A value was found but cannot be normalised; it is kept as written and flagged."""


def text(value: str | None) -> str | None:
    """Collapse whitespace runs inside lines; paragraphs one per line, blank lines dropped; empty -> None."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    lines = (_SPACES.sub(" ", line).strip() for line in value.split("\n"))
    return "\n".join(line for line in lines if line) or None


def date(value: str) -> str:
    """A UK day-first date as ISO `YYYY-MM-DD`; raises `Unreadable` rather than guess."""
    cleaned = _ORDINAL.sub(r"\1", value.strip().rstrip("."))
    if m := _ISO_DATE.match(cleaned):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _NUMERIC_DATE.match(cleaned):
        d, mo, y = (int(g) for g in m.groups())
        if y < 100:
            y += 2000 if y <= dt.date.today().year % 100 else 1900
    elif _HAS_MONTH_NAME.search(cleaned):
        try:
            parsed = dateparser.parse(cleaned, dayfirst=True, default=dt.datetime(1, 1, 1))
        except (ValueError, OverflowError) as exc:
            raise Unreadable(value) from exc
        numbers = re.findall(r"\d+", cleaned)
        if parsed.year == 1 or len(numbers) != 2 or not any(len(n) == 4 for n in numbers):
            raise Unreadable(value)  # no day or no full year written: do not guess one
        y, mo, d = parsed.year, parsed.month, parsed.day
    else:
        raise Unreadable(value)
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError as exc:
        raise Unreadable(value) from exc


def postcode(value: str) -> str:
    """A UK postcode in upper case with a single space; raises `Unreadable` when invalid."""
    compact = re.sub(r"\s+", "", value.upper())
    m = _POSTCODE.match(compact)
    if not m:
        raise Unreadable(value)
    return f"{m.group(1)} {m.group(2)}"


# What OCR confuses in postcodes: letters read as digits and back.
_AS_LETTER = str.maketrans("0158$2", "OISBSZ")
_AS_DIGIT = str.maketrans("OoIlSBZ", "0011582")
_OUTWARD_SHAPES = {2: ("LD",), 3: ("LDD", "LLD", "LDL"), 4: ("LLDD", "LLDL")}


def ocr_postcode(value: str) -> str:
    """A postcode read by OCR, letters and digits put back by position (`$014 OjZ` -> `SO14 0JZ`)."""
    compact = re.sub(r"[^A-Za-z0-9$]", "", value)
    outward, inward = compact[:-3], compact[-3:]
    if len(inward) != 3 or len(outward) not in _OUTWARD_SHAPES:
        raise Unreadable(value)
    inward = inward[0].translate(_AS_DIGIT) + inward[1:].translate(_AS_LETTER)
    for shape in _OUTWARD_SHAPES[len(outward)]:
        fixed = "".join(c.translate(_AS_LETTER if k == "L" else _AS_DIGIT) for c, k in zip(outward, shape))
        try:
            return postcode(fixed + inward)
        except Unreadable:
            continue
    raise Unreadable(value)


def email(value: str) -> str:
    """An e-mail address lower-cased (a `mailto:` prefix dropped); raises `Unreadable` when invalid."""
    cleaned = re.sub(r"^mailto:", "", value.strip(), flags=re.IGNORECASE).strip("<>").lower()
    cleaned = re.sub(r"\s+", "", cleaned)
    if not _EMAIL.match(cleaned):
        raise Unreadable(value)
    return cleaned


def phone_e164(value: str) -> str | None:
    """The number in E.164 (UK numbering by default) where it is a valid number, else None."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=8192)
def fold(value: str) -> str:
    """Lower-case, accents and punctuation removed, single spaces: for comparing words."""
    value = unicodedata.normalize("NFKD", value)
    value = "".join(c for c in value if not unicodedata.combining(c))
    value = value.replace("’", "'").lower()
    value = re.sub(r"[^\w']+|_", " ", value)
    return re.sub(r"\s+", " ", value.replace("'", "")).strip()


def choice(value: str, options: dict[str, tuple[str, ...]]) -> str:
    """The canonical code of an answer (`Don't know` -> `unknown`); raises `Unreadable`."""
    folded = fold(value)
    if not folded:
        raise Unreadable(value)
    for code, words in options.items():
        if folded == fold(code) or any(folded == fold(w) for w in words):
            return code
    # A longer typed answer naming exactly one option ("Yes - verbally"; not "yes and no").
    hits = {
        code
        for code, words in options.items()
        for w in (code, *words)
        if len(fold(w)) > 1 and re.search(rf"\b{re.escape(fold(w))}\b", folded)
    }
    if len(hits) == 1:
        return hits.pop()
    raise Unreadable(value)
