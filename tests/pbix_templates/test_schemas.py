"""The Power BI Project's JSON files validate offline against Microsoft's published (vendored) JSON schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import validators
from referencing.exceptions import Unresolvable

from tests.pbix_templates import schema_check, vendor_schemas

TEMPLATES = Path(__file__).resolve().parents[2] / "pbix_templates"

S = schema_check.URL_PREFIX + "fabric/"
VISUAL_SCHEMA = S + "item/report/definition/visualContainer/1.0.0/schema.json"


def test_every_template_file_validates() -> None:
    result = schema_check.check_tree(TEMPLATES)
    assert result.problems == []
    names = [p.name for p in result.checked]
    for kind in (".pbip", ".pbir", ".pbism", ".platform"):
        assert any(name.endswith(kind) for name in names), f"no {kind} file was checked"
    for name in ("report.json", "version.json", "pages.json", "page.json", "visual.json"):
        assert name in names, f"no {name} was checked"


def _declared_by_each_file() -> list[tuple[Path, dict[str, Any], str, str]]:
    found = []
    for path in schema_check.files_to_check(TEMPLATES):
        instance = json.loads(path.read_text(encoding="utf-8"))
        found.append((path, instance, *vendor_schemas.split_url(instance["$schema"])))
    return found


def test_no_file_declares_a_schema_newer_than_microsofts_published_snapshot() -> None:
    published = json.loads(vendor_schemas.VERSIONS_FILE.read_text(encoding="utf-8"))
    files = _declared_by_each_file()
    newer = [(p.relative_to(TEMPLATES), v) for p, _, kind, v in files if v not in published.get(kind, [])]
    assert newer == []
    visuals_on_disk = len(list(TEMPLATES.rglob("visual.json")))
    assert visuals_on_disk and len([f for f in files if f[2].endswith("/visualContainer")]) == visuals_on_disk


def test_every_file_declares_the_lowest_published_version_it_validates_against() -> None:
    """The lower the version, the older the Power BI Desktop that opens the file (docs/powerbi.md)."""
    published = json.loads(vendor_schemas.VERSIONS_FILE.read_text(encoding="utf-8"))
    refused = 0
    for path, instance, kind, version in _declared_by_each_file():
        for lower in published[kind][: published[kind].index(version)]:
            url = f"{schema_check.URL_PREFIX}{kind}/{lower}/schema.json"
            errors = list(schema_check.validator_for_url(url).iter_errors({**instance, "$schema": url}))
            assert errors, f"{path.relative_to(TEMPLATES)} validates against {kind} {lower}: declare that instead"
            refused += 1
    # Only report.json has lower versions to refuse: before 3.0.0, its theme's import versions were a string.
    assert refused == 6


def test_the_theme_was_imported_at_the_versions_the_files_declare() -> None:
    report = json.loads((TEMPLATES / "ICS Benchmarking.Report" / "definition" / "report.json").read_text("utf-8"))
    declared = {kind.rsplit("/", 1)[1]: version for _, _, kind, version in _declared_by_each_file()}
    imported = report["themeCollection"]["customTheme"]["reportVersionAtImport"]
    assert imported == {"visual": declared["visualContainer"], "report": declared["report"], "page": declared["page"]}


def test_vendored_schemas_are_valid_and_their_refs_resolve_offline() -> None:
    assert schema_check.unresolved_refs() == []
    for url in schema_check.vendored_urls():
        schema = schema_check._load_vendored(url)
        validators.validator_for(schema, default=validators.Draft7Validator).check_schema(schema)


def test_a_ref_that_is_not_vendored_fails_instead_of_being_fetched() -> None:
    with pytest.raises(Unresolvable):
        schema_check.registry().resolver().lookup(S + "item/report/definition/visualContainer/9.9.9/schema.json")


def _field(kind: str, table: str, name: str) -> dict[str, Any]:
    return {kind: {"Expression": {"SourceRef": {"Entity": table}}, "Property": name}}


def _projection(kind: str, table: str, name: str) -> dict[str, Any]:
    return {"field": _field(kind, table, name), "queryRef": f"{table}.{name}", "nativeQueryRef": name}


def _literal(value: str) -> dict[str, Any]:
    return {"expr": {"Literal": {"Value": value}}}


def _visual(name: str, visual: dict[str, Any], **extra: Any) -> dict[str, Any]:
    position = {"x": 0, "y": 0, "z": 0, "width": 200, "height": 100, "tabOrder": 0}
    return {"$schema": VISUAL_SCHEMA, "name": name, "position": position, "visual": visual, **extra}


def _in_filter(name: str, *, negate: bool) -> dict[str, Any]:
    condition: dict[str, Any] = {
        "In": {
            "Expressions": [{"Column": {"Expression": {"SourceRef": {"Source": "b"}}, "Property": "Site"}}],
            "Values": [[{"Literal": {"Value": "'(all)'"}}]],
        }
    }
    if negate:
        condition = {"Not": {"Expression": condition}}
    return {
        "name": name,
        "field": _field("Column", "Benchmarks", "Site"),
        "type": "Categorical",
        "filter": {
            "Version": 2,
            "From": [{"Name": "b", "Entity": "Benchmarks", "Type": 0}],
            "Where": [{"Condition": condition}],
        },
    }


def _valid_tree(root: Path) -> dict[str, Path]:
    """A small Power BI Project: every file kind, and the visual shapes the templates use."""
    cost = _projection("Measure", "Benchmarks", "Total Cost")
    site = _projection("Column", "Benchmarks", "Site")
    visuals = {
        "card": {
            "visualType": "card",
            "query": {"queryState": {"Values": {"projections": [cost]}}},
            "visualContainerObjects": {
                "title": [{"properties": {"show": _literal("true"), "text": _literal("'Total cost'")}}]
            },
        },
        "bar": {
            "visualType": "clusteredBarChart",
            "query": {
                "queryState": {"Category": {"projections": [site]}, "Y": {"projections": [cost]}},
                "sortDefinition": {
                    "sort": [{"field": cost["field"], "direction": "Descending"}],
                    "isDefaultSort": False,
                },
            },
        },
        "table": {"visualType": "tableEx", "query": {"queryState": {"Values": {"projections": [site, cost]}}}},
        "slicer": {
            "visualType": "slicer",
            "query": {"queryState": {"Values": {"projections": [site]}}},
            "objects": {"data": [{"properties": {"mode": _literal("'Basic'")}}]},
        },
        "text": {
            "visualType": "textbox",
            "objects": {"general": [{"properties": {"paragraphs": [{"textRuns": [{"value": "ICS Benchmarking"}]}]}}]},
        },
    }
    files: dict[str, Any] = {
        "Tiny.pbip": {
            "$schema": S + "pbip/pbipProperties/1.0.0/schema.json",
            "version": "1.0",
            "artifacts": [{"report": {"path": "Tiny.Report"}}],
            "settings": {"enableAutoRecovery": True},
        },
        "Tiny.Report/.platform": {
            "$schema": S + "gitIntegration/platformProperties/2.0.0/schema.json",
            "metadata": {"type": "Report", "displayName": "Tiny"},
            "config": {"version": "2.0", "logicalId": "11111111-1111-4111-8111-111111111111"},
        },
        "Tiny.Report/definition.pbir": {
            "$schema": S + "item/report/definitionProperties/1.0.0/schema.json",
            "version": "4.0",
            "datasetReference": {"byPath": {"path": "../Tiny.SemanticModel"}},
        },
        "Tiny.SemanticModel/definition.pbism": {
            "$schema": S + "item/semanticModel/definitionProperties/1.0.0/schema.json",
            "version": "4.2",
            "settings": {},
        },
        "Tiny.Report/definition/version.json": {
            "$schema": S + "item/report/definition/versionMetadata/1.0.0/schema.json",
            "version": "2.0.0",
        },
        "Tiny.Report/definition/report.json": {
            "$schema": S + "item/report/definition/report/3.0.0/schema.json",
            "themeCollection": {
                "customTheme": {
                    "name": "Theme.json",
                    "reportVersionAtImport": {"visual": "1.0.0", "report": "3.0.0", "page": "1.0.0"},
                    "type": "RegisteredResources",
                }
            },
            "resourcePackages": [
                {
                    "name": "RegisteredResources",
                    "type": "RegisteredResources",
                    "items": [{"name": "Theme.json", "path": "Theme.json", "type": "CustomTheme"}],
                }
            ],
        },
        "Tiny.Report/definition/pages/pages.json": {
            "$schema": S + "item/report/definition/pagesMetadata/1.0.0/schema.json",
            "pageOrder": ["overview"],
            "activePageName": "overview",
        },
        "Tiny.Report/definition/pages/overview/page.json": {
            "$schema": S + "item/report/definition/page/1.0.0/schema.json",
            "name": "overview",
            "displayName": "Overview",
            "displayOption": "FitToPage",
            "height": 720,
            "width": 1280,
        },
    }
    for name, visual in visuals.items():
        extra = {}
        if name == "table":
            extra = {"filterConfig": {"filters": [_in_filter("f_in", negate=False), _in_filter("f_not", negate=True)]}}
        files[f"Tiny.Report/definition/pages/overview/visuals/{name}/visual.json"] = _visual(name, visual, **extra)
    # Not a schema'd file: the theme lives outside definition/ and must not be checked.
    files["Tiny.Report/StaticResources/RegisteredResources/Theme.json"] = {"name": "Tiny", "dataColors": ["#005EB8"]}
    written = {}
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        written[relative] = path
    return written


def _edit(path: Path, change: Any) -> None:
    content = json.loads(path.read_text(encoding="utf-8"))
    change(content)
    path.write_text(json.dumps(content), encoding="utf-8")


def test_a_small_valid_tree_validates(tmp_path: Path) -> None:
    _valid_tree(tmp_path)
    result = schema_check.check_tree(tmp_path)
    assert result.problems == []
    checked = {p.relative_to(tmp_path).as_posix() for p in result.checked}
    assert "Tiny.Report/StaticResources/RegisteredResources/Theme.json" not in checked
    assert len(checked) == 13


def test_a_visual_without_position_is_caught(tmp_path: Path) -> None:
    files = _valid_tree(tmp_path)
    _edit(files["Tiny.Report/definition/pages/overview/visuals/card/visual.json"], lambda v: v.pop("position"))
    problems = schema_check.validate_tree(tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith("Tiny.Report/definition/pages/overview/visuals/card/visual.json: $: ")
    assert "'position' is a required property" in problems[0]


def test_an_unknown_property_is_caught(tmp_path: Path) -> None:
    files = _valid_tree(tmp_path)
    bar = files["Tiny.Report/definition/pages/overview/visuals/bar/visual.json"]
    _edit(bar, lambda v: v["visual"]["query"].update(sortBy="Site"))
    _edit(files["Tiny.pbip"], lambda v: v.update(author="someone"))
    problems = schema_check.validate_tree(tmp_path)
    assert problems == [
        "Tiny.Report/definition/pages/overview/visuals/bar/visual.json: $.visual.query: "
        "Additional properties are not allowed ('sortBy' was unexpected)",
        "Tiny.pbip: $: Additional properties are not allowed ('author' was unexpected)",
    ]


def test_a_field_with_two_kinds_of_expression_is_caught(tmp_path: Path) -> None:
    files = _valid_tree(tmp_path)
    table = files["Tiny.Report/definition/pages/overview/visuals/table/visual.json"]
    projections = lambda v: v["visual"]["query"]["queryState"]["Values"]["projections"]  # noqa: E731
    _edit(table, lambda v: projections(v)[0]["field"].update(Literal={"Value": "1L"}))
    problems = schema_check.validate_tree(tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith(
        "Tiny.Report/definition/pages/overview/visuals/table/visual.json: "
        "$.visual.query.queryState.Values.projections[0].field: "
    )


def test_an_unvendored_schema_url_is_reported(tmp_path: Path) -> None:
    files = _valid_tree(tmp_path)
    newer = S + "item/report/definition/visualContainer/9.9.9/schema.json"
    text = files["Tiny.Report/definition/pages/overview/visuals/text/visual.json"]
    _edit(text, lambda v: v.update({"$schema": newer}))
    _edit(files["Tiny.Report/definition/version.json"], lambda v: v.pop("$schema"))
    problems = schema_check.validate_tree(tmp_path)
    assert problems == [
        f"Tiny.Report/definition/pages/overview/visuals/text/visual.json: $.$schema: schema {newer} is not vendored: "
        "add it (and every file its $refs reach) as tests/pbix_templates/json_schemas/"
        "fabric/item/report/definition/visualContainer/9.9.9/schema.json",
        'Tiny.Report/definition/version.json: $: no "$schema" property naming the file\'s schema',
    ]


def test_a_value_outside_an_enumeration_is_caught(tmp_path: Path) -> None:
    files = _valid_tree(tmp_path)
    _edit(files["Tiny.Report/definition/pages/overview/page.json"], lambda v: v.update(displayOption="Stretch"))
    problems = schema_check.validate_tree(tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith("Tiny.Report/definition/pages/overview/page.json: $.displayOption: ")


def test_invalid_json_is_reported(tmp_path: Path) -> None:
    files = _valid_tree(tmp_path)
    files["Tiny.Report/definition/pages/pages.json"].write_text('{"$schema": ', encoding="utf-8")
    problems = schema_check.validate_tree(tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith("Tiny.Report/definition/pages/pages.json: $: not valid UTF-8 JSON: ")
