"""Shared fixtures: the generated corpus of CPI forms (built once per test session), a real Dovecot."""
from __future__ import annotations

from typing import Any

import pytest

pytest_plugins = ["dovecot", "db_fixtures"]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    from corpus.generate import build_corpus

    return build_corpus(tmp_path_factory.mktemp("corpus"))
