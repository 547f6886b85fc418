"""Fixtures for the Excel layer: the worksheet functions pointed at the session's refreshed synthetic ICS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from addin import functions
from addin.results import ResultsCache
from engine.config import IcsConfig


class FixedConfig:
    """A config source (what ConfigSource gives the add-in) for a config object built in a test."""

    def __init__(self, config: IcsConfig, path: Path | None = None) -> None:
        self.config = config
        self.path = path or config.base_dir / "ics.toml"

    def __call__(self) -> IcsConfig:
        return self.config


@pytest.fixture
def ics_functions(refreshed_ics: Any) -> Iterator[tuple[IcsConfig, ResultsCache]]:
    """The worksheet functions reading the refreshed synthetic ICS, through a fresh cache."""
    _, config = refreshed_ics
    cache = ResultsCache(FixedConfig(config))
    previous = functions.use_cache(cache)
    yield config, cache
    functions.use_cache(previous)
