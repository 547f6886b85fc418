"""The documentation keeps step with the code: generated pages are current and every option and command is described."""

from __future__ import annotations

import re
from pathlib import Path

import click
from pydantic import BaseModel

from engine import config, docgen
from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_data_model_document_is_generated_from_the_schema() -> None:
    committed = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert committed == docgen.data_model_markdown(), "run `python -m engine.docgen` and commit docs/data-model.md"


def test_metrics_document_is_generated_from_the_sql_headers() -> None:
    committed = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert committed == docgen.metrics_markdown(), "run `python -m engine.docgen` and commit docs/metrics.md"


def _options(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for name, field in model.model_fields.items():
        if name == "base_dir":
            continue
        annotation = field.annotation
        nested = [a for a in (annotation, *getattr(annotation, "__args__", ())) if isinstance(a, type)]
        sub = next((a for a in nested if issubclass(a, BaseModel)), None)
        if sub is not None:
            out += _options(sub, f"{prefix}{name}.")
        else:
            out.append((prefix, name))
    return out


def test_every_config_option_is_documented_and_in_the_template() -> None:
    guide = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    template = (ROOT / "engine" / "templates" / "ics.toml").read_text(encoding="utf-8")
    for section, option in _options(config.IcsConfig):
        if option == "mappings":
            assert "[mappings.<name>]" in guide
            continue
        assert f"`{option}`" in guide or f"`[{option}]`" in guide or f"`[[{option}]]`" in guide, (
            section,
            option,
        )
        assert re.search(rf"(^|[\s#\[]){option}\b", template, re.MULTILINE), (section, option)


def test_every_cli_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert isinstance(main, click.Group)
    for name in main.commands:
        assert f"icsbench {name}" in readme, name


def test_every_sql_file_starts_with_a_header_comment() -> None:
    for path in (ROOT / "sql").rglob("*.sql"):
        first = path.read_text(encoding="utf-8").lstrip().splitlines()[0]
        assert first.startswith("--"), path


def test_engine_never_imports_the_excel_layer() -> None:
    for path in (ROOT / "engine").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(addin|xlwings)\b", text, re.MULTILINE), path
