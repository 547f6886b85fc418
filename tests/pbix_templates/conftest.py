"""Fixtures for the Power BI template checks: the templates read as data, and what the engine publishes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.publish.files import write_published_files
from engine.publish.powerbi import render, tmdl
from engine.store import open_store

TEMPLATES = Path(__file__).resolve().parents[2] / "pbix_templates"
REPORT = TEMPLATES / f"{render.PROJECT}.Report" / "definition"
MODEL = TEMPLATES / f"{render.PROJECT}.SemanticModel" / "definition"


@pytest.fixture(scope="session")
def model() -> tmdl.Model:
    return tmdl.read_model(MODEL)


@pytest.fixture(scope="session")
def visuals() -> dict[str, dict[str, Any]]:
    """Every visual.json of the report, by its path under the report's definition folder."""
    return {
        str(path.relative_to(REPORT)): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(REPORT.glob("pages/*/visuals/*/visual.json"))
    }


@pytest.fixture(scope="session")
def published_ics(refreshed_ics: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of files a refresh of the session's synthetic ICS publishes (Parquet, workbooks, Power BI): the
    refresh's own folder in the published folder, the one its report's ResultsFolder names."""
    _, config = refreshed_ics
    folder = tmp_path_factory.mktemp("published")
    config = config.model_copy(update={"folders": config.folders.model_copy(update={"published": str(folder)})})
    store = open_store(config, read_only=True)
    try:
        return write_published_files(store).folder
    finally:
        store.close()
