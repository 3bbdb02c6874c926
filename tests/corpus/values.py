"""Typed values: what a partner wrote, and the canonical value the record should hold."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


@dataclass(frozen=True)
class Date:
    """A date and the UK way it was typed (`slash` 01/02/2009, `short` 1 Feb 2009, `ordinal`...)."""

    value: dt.date
    style: str = "slash"

    @property
    def typed(self) -> str:
        d, m, y = self.value.day, self.value.month, self.value.year
        month = _MONTHS[m - 1]
        return {
            "slash": f"{d:02d}/{m:02d}/{y}",
            "slash_nopad": f"{d}/{m}/{y}",
            "dash": f"{d:02d}-{m:02d}-{y}",
            "dots": f"{d:02d}.{m:02d}.{y}",
            "short": f"{d} {month[:3]} {y}",
            "long": f"{d} {month} {y}",
            "ordinal": f"{_ordinal(d)} {month} {y}",
        }[self.style]

    @property
    def canonical(self) -> str:
        return self.value.isoformat()


@dataclass(frozen=True)
class Postcode:
    """A UK postcode (canonical form) and how it was typed (`lower`, `nospace`, `lower_nospace`)."""

    value: str
    style: str = "as_is"

    @property
    def typed(self) -> str:
        return {
            "as_is": self.value,
            "lower": self.value.lower(),
            "nospace": self.value.replace(" ", ""),
            "lower_nospace": self.value.replace(" ", "").lower(),
        }[self.style]

    @property
    def canonical(self) -> str:
        return self.value


@dataclass(frozen=True)
class Phone:
    """A telephone number as typed and its E.164 form (None where there is none)."""

    typed: str
    e164: str | None

    @property
    def canonical(self) -> str:
        return " ".join(self.typed.split())


@dataclass(frozen=True)
class Email:
    """An e-mail address as typed (mixed case allowed)."""

    typed: str

    @property
    def canonical(self) -> str:
        return self.typed.lower()


Value = str | Date | Postcode | Phone | Email


def typed(value: Value | None) -> str:
    """The text a partner typed for a value ("" for an empty answer)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else value.typed
