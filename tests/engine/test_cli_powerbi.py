"""`icsbench pbi ...` end to end on a copy of the session's refreshed synthetic ICS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from engine import config as config_module
from engine.cli import main
from engine.metrics import catalog
from engine.publish import published_results
from engine.publish.powerbi import auth, render, rest, service, tmdl
from tests.conftest import copy_of_store


@pytest.fixture
def ics_config(refreshed_ics: Any, tmp_path: Path) -> Path:
    """A config file for a copy of the refreshed store, publishing into tmp_path/published."""
    config = copy_of_store(refreshed_ics[1], tmp_path)
    text = config.base_dir.joinpath("ics.toml").read_text(encoding="utf-8")
    path = tmp_path / "ics.toml"
    path.write_text(
        text.replace(str(refreshed_ics[1].store.path), str(config.store_path))
        + f'\n[folders]\npublished = "{(tmp_path / "published").as_posix()}"\n',
        encoding="utf-8",
    )
    return path


def _parameters(pbip: Path) -> dict[str, str]:
    return tmdl.parameter_defaults((pbip.parent / render.EXPRESSIONS).read_text(encoding="utf-8"))


def test_pbi_refresh_writes_typed_parquet_and_both_reports(ics_config: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["pbi", "render", "--config", str(ics_config), "--server", r"SQL01\ICS", "--database", "ICSBench"],
    )
    assert result.exit_code == 0, result.output
    published = tmp_path / "published"
    refresh_folder = published_results.current(config_module.load(ics_config)).folder
    assert refresh_folder.parent == published and refresh_folder.name.startswith("refresh-")
    assert {p.stem for p in refresh_folder.glob("*.parquet")} == {m.name for m in catalog.published()}
    types = {str(t) for p in refresh_folder.glob("*.parquet") for t in pq.read_schema(p).types}
    assert types == {"string", "int64", "double", "decimal128(18, 4)"}
    files_report = render.rendered_report(published, "files")
    assert files_report.parent.parent == refresh_folder, "the report sits beside the Parquet files it reads"
    assert _parameters(files_report) == {"ResultsFolder": str(refresh_folder.resolve())}
    assert _parameters(render.rendered_report(published, "sqlserver")) == {
        "Server": r"SQL01\ICS",
        "Database": "ICSBench",
    }
    assert str(files_report) in result.output.replace("\n", "")


def test_pbi_refresh_can_point_the_report_at_a_shared_folder(ics_config: Path, tmp_path: Path) -> None:
    share = r"\\ics-files\costing\published"
    result = CliRunner().invoke(main, ["pbi", "render", "--config", str(ics_config), "--results-folder", share])
    assert result.exit_code == 0, result.output
    refresh_folder = published_results.current(config_module.load(ics_config)).folder
    assert _parameters(render.rendered_report(tmp_path / "published")) == {
        "ResultsFolder": share + "\\" + refresh_folder.name
    }
    assert not render.rendered_report(tmp_path / "published", "sqlserver").exists()


def test_pbi_refresh_wants_both_server_and_database(ics_config: Path) -> None:
    result = CliRunner().invoke(main, ["pbi", "render", "--config", str(ics_config), "--server", "SQL01"])
    assert result.exit_code == 2
    assert "give both --server and --database" in result.output


def test_pbi_open_explains_itself_off_windows_and_before_a_refresh(ics_config: Path, tmp_path: Path) -> None:
    published = tmp_path / "published"
    published.rename(tmp_path / "aside")
    before = CliRunner().invoke(main, ["pbi", "open", "--config", str(ics_config)])
    assert before.exit_code == 2 and "run `icsbench refresh` first" in before.output
    not_yet = CliRunner().invoke(main, ["pbi", "render", "--config", str(ics_config)])
    assert not_yet.exit_code == 2 and "no results yet: run a refresh first" in not_yet.output
    (tmp_path / "aside").rename(published)
    assert CliRunner().invoke(main, ["pbi", "render", "--config", str(ics_config)]).exit_code == 0
    after = CliRunner().invoke(main, ["pbi", "open", "--config", str(ics_config)])
    assert after.exit_code == 0 and "Power BI Desktop runs only on Windows" in after.output


def test_pbi_publish_passes_the_options_to_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fake_publish(settings: service.PublishSettings, tokens: Any, **kwargs: Any) -> service.PublishResult:
        calls.append({"settings": settings, "tokens": tokens, **kwargs})
        return service.PublishResult(
            workspace=rest.Workspace("w-1", "ICS Costing"),
            dataset_id="d-1",
            report_id="r-1",
            uploaded=False,
            took_over=True,
            parameters_set=("Server", "Database"),
            refresh=rest.RefreshOutcome("Failed", error="ModelRefreshFailed_CredentialsNotSpecified"),
        )

    monkeypatch.setattr(service, "publish_report", fake_publish)
    monkeypatch.setenv("ICS_PBI_SECRET", "not-a-real-secret")
    result = CliRunner().invoke(
        main,
        [
            "pbi", "publish", "--workspace", "ICS Costing", "--server", "SQL01", "--database", "ICSBench",
            "--tenant", "contoso.onmicrosoft.com", "--client-id", "00000000-0000-0000-0000-000000000001",
            "--secret-env", "ICS_PBI_SECRET", "--take-over",
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "CredentialsNotSpecified" in result.output
    [call] = calls
    assert call["settings"] == service.PublishSettings(
        workspace="ICS Costing", dataset_name="ICS Benchmarking", take_over=True
    )
    assert call["parameters"] == {"Server": "SQL01", "Database": "ICSBench"}
    assert call["pbix"] is None
    assert isinstance(call["tokens"], auth.ServicePrincipalTokens)
