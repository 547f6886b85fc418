"""Rendering the Power BI templates sets the parameters and nothing else (golden files), and fails safe."""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import IcsBenchError
from engine.publish.powerbi import render, tmdl
from tests.pbix_templates.schema_check import check_tree

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_PARAMETERS = {
    "files": {"ResultsFolder": r'\\ics-files\costing\published "2024"'},
    "sqlserver": {"Server": r"ICS-SQL01\COSTING", "Database": "ICS_PLICS"},
}


def _files(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("name", sorted(render.VARIANTS))
def test_rendering_sets_the_parameters_and_nothing_else(name: str, tmp_path: Path) -> None:
    pbip = render.render(name, tmp_path, GOLDEN_PARAMETERS[name])
    project = pbip.parent
    templates = render.templates_dir()
    expected = {Path(pbip.name)} | {
        p for p in _files(templates) if p.parts[0] in (f"{render.PROJECT}.Report", f"{render.PROJECT}.SemanticModel")
    }
    assert _files(project) == expected
    for relative in expected - {render.EXPRESSIONS}:
        assert filecmp.cmp(project / relative, templates / relative, shallow=False), relative
    rendered = (project / render.EXPRESSIONS).read_text(encoding="utf-8")
    assert rendered == (GOLDEN / f"{name}.expressions.tmdl").read_text(encoding="utf-8")
    assert tmdl.parameter_defaults(rendered) == GOLDEN_PARAMETERS[name]


@pytest.mark.parametrize("name", sorted(render.VARIANTS))
def test_the_golden_files_differ_from_the_templates_only_in_parameter_lines(name: str) -> None:
    template = render.expressions_text(render.VARIANTS[name]).splitlines()
    golden = (GOLDEN / f"{name}.expressions.tmdl").read_text(encoding="utf-8").splitlines()
    assert len(template) == len(golden)
    changed = [(a, b) for a, b in zip(template, golden, strict=True) if a != b]
    assert len(changed) == len(render.VARIANTS[name].parameters)
    for before, after in changed:
        assert before.split(" = ")[0] == after.split(" = ")[0]
        assert before.endswith("IsParameterQueryRequired=true]") and after.endswith("IsParameterQueryRequired=true]")


@pytest.mark.parametrize("name", sorted(render.VARIANTS))
def test_a_rendered_project_validates_against_microsofts_schemas(name: str, tmp_path: Path) -> None:
    pbip = render.render(name, tmp_path, GOLDEN_PARAMETERS[name])
    result = check_tree(pbip.parent)
    assert len(result.checked) > 100 and result.problems == []


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60))
def test_any_text_value_survives_the_round_trip(value: str) -> None:
    template = render.expressions_text(render.VARIANTS["files"])
    assert tmdl.parameter_defaults(render.set_parameters(template, {"ResultsFolder": value})) == {
        "ResultsFolder": value
    }


def test_parameters_must_be_known_and_complete(tmp_path: Path) -> None:
    with pytest.raises(IcsBenchError, match="needs a value for Database"):
        render.render("sqlserver", tmp_path, {"Server": "sql01"})
    with pytest.raises(IcsBenchError, match="has no parameter Server"):
        render.render("files", tmp_path, {"ResultsFolder": "x", "Server": "sql01"})
    with pytest.raises(IcsBenchError, match="no Power BI variant called 'pbix'"):
        render.render("pbix", tmp_path, {})
    with pytest.raises(IcsBenchError, match="line break"):
        render.render("files", tmp_path, {"ResultsFolder": "a\nb"})
    assert list(tmp_path.iterdir()) == [] or not any(tmp_path.rglob("*.pbip"))


def test_a_second_render_replaces_the_first_and_leaves_nothing_behind(tmp_path: Path) -> None:
    render.render("files", tmp_path, {"ResultsFolder": "first"})
    pbip = render.render("files", tmp_path, {"ResultsFolder": "second"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Power BI"]
    assert tmdl.parameter_defaults((pbip.parent / render.EXPRESSIONS).read_text(encoding="utf-8")) == {
        "ResultsFolder": "second"
    }


def test_a_failed_render_leaves_the_last_good_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pbip = render.render("files", tmp_path, {"ResultsFolder": "good"})

    def broken_copy(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copytree", broken_copy)
    with pytest.raises(OSError, match="No space left"):
        render.render("files", tmp_path, {"ResultsFolder": "bad"})
    assert tmdl.parameter_defaults((pbip.parent / render.EXPRESSIONS).read_text(encoding="utf-8")) == {
        "ResultsFolder": "good"
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Power BI"]
