"""The transparent rule set behind the flag `possible_crime_or_immediate_risk` (rules in rules/risk.toml)."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RULES_FILE = Path(__file__).parent / "rules" / "risk.toml"
_NEGATION = re.compile(r"\b(no|not|never|denies|denied|without|nor)\b(\W+\w+){0,3}\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    patterns: tuple[re.Pattern[str], ...]


@lru_cache(maxsize=1)
def load_rules(path: Path = RULES_FILE) -> tuple[Rule, ...]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(
        Rule(r["id"], r["description"], tuple(re.compile(p, re.IGNORECASE) for p in r["patterns"]))
        for r in raw["rules"]
    )


def rules_fired(texts: list[str | None]) -> list[str]:
    """Ids of the rules that match any of the texts (negated mentions do not count)."""
    fired: list[str] = []
    body = "\n".join(t for t in texts if t)
    for rule in load_rules():
        for pattern in rule.patterns:
            if any(not _NEGATION.search(body[max(0, m.start() - 40): m.start()]) for m in pattern.finditer(body)):
                fired.append(rule.id)
                break
    return fired
