"""The contract between the Power BI templates and the engine: each side fails here when it changes alone.

- every table and column of the semantic model is in the Parquet files the engine publishes, with the same type,
  and every published table and column is in the model;
- every field a visual, a sort or a filter uses exists in the model;
- every relationship joins columns that exist, and its one side has unique keys in the published data;
- measures reference only columns and measures that exist;
- tables whose rows overlap add nothing up by default, and each visual of population_rates areas reads one area type;
- every M expression parses (Microsoft's parser) and every DAX measure parses (pbi-parsers).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.metrics import catalog
from engine.publish.powerbi import render, tmdl
from tests.pbix_templates.parsers import parse_dax, parse_m

# The TMDL dataType each published Parquet type loads as.
MODEL_TYPE = {
    pa.string(): "string",
    pa.int64(): "int64",
    pa.float64(): "double",
    pa.decimal128(18, 4): "decimal",
    pa.bool_(): "boolean",
}
# Tables whose rows overlap (levels, cohorts, area types, a whole beside its parts): never summed by default.
OVERLAPPING = ("linkage_quality", "high_use_patients", "pathway_cost", "deprivation_cost", "population_rates")
_DAX_COLUMN = re.compile(r"(?P<table>'(?:[^']|'')+'|[A-Za-z_][A-Za-z0-9_]*)\[(?P<column>[^\]]+)\]")
_DAX_MEASURE = re.compile(r"(?<![\w'\]])\[(?P<measure>[^\]]+)\]")


def _published_schemas(folder: Path) -> dict[str, pa.Schema]:
    return {path.stem: pq.read_schema(path) for path in sorted(folder.glob("*.parquet"))}


def test_the_model_has_a_table_for_every_published_table_and_no_other(model: tmdl.Model, published_ics: Path) -> None:
    published = set(_published_schemas(published_ics))
    assert published == {m.name for m in catalog.published()}
    assert set(model.tables) == published


def test_every_model_column_is_published_with_its_type_and_every_published_column_is_modelled(
    model: tmdl.Model, published_ics: Path
) -> None:
    problems = []
    for name, schema in _published_schemas(published_ics).items():
        table = model.tables[name]
        modelled = {c.source_column: c.data_type for c in table.columns.values()}
        for field in schema:
            expected = MODEL_TYPE.get(field.type)
            if expected is None:
                problems.append(f"{name}.{field.name}: published as {field.type}, which the model has no type for")
            elif field.name not in modelled:
                problems.append(f"{name}.{field.name}: published but not in the model")
            elif modelled[field.name] != expected:
                problems.append(f"{name}.{field.name}: model says {modelled[field.name]}, published {field.type}")
        for column in set(modelled) - set(schema.names):
            problems.append(f"{name}.{column}: in the model but not published")
    assert not problems, "\n".join(problems)


def test_every_column_is_named_for_its_source_column(model: tmdl.Model) -> None:
    """Visuals and measures refer to columns by name; the engine's names are the contract."""
    assert [
        (t.name, c.name) for t in model.tables.values() for c in t.columns.values() if c.name != c.source_column
    ] == []


def test_every_table_loads_its_own_published_table_through_the_variant_function(model: tmdl.Model) -> None:
    for table in model.tables.values():
        assert [(p.kind, p.source) for p in table.partitions] == [("m", f'ResultTable("{table.name}")')], table.name


def test_measure_names_are_unique_and_clash_with_no_column(model: tmdl.Model) -> None:
    measures = Counter(m.casefold() for t in model.tables.values() for m in t.measures)
    assert [m for m, n in measures.items() if n > 1] == []
    columns = {c.casefold() for t in model.tables.values() for c in t.columns}
    assert set(measures) & columns == set()


def test_measures_refer_only_to_columns_and_measures_that_exist(model: tmdl.Model) -> None:
    measures = {m for t in model.tables.values() for m in t.measures}
    problems = []
    for table in model.tables.values():
        for measure in table.measures.values():
            for match in _DAX_COLUMN.finditer(measure.expression):
                name = tmdl.unquote(match["table"])
                if name not in model.tables or match["column"] not in model.tables[name].columns:
                    problems.append(f"{measure.name}: no column {match.group(0)}")
            for match in _DAX_MEASURE.finditer(measure.expression):
                if match["measure"] not in measures:
                    problems.append(f"{measure.name}: no measure [{match['measure']}]")
    assert not problems, "\n".join(problems)


def test_a_number_that_must_not_be_added_up_is_marked_as_the_users_choice_as_desktop_writes_it(
    model: tmdl.Model,
) -> None:
    """A number with `summarizeBy: none` (a rate, a mean, a key, a count of overlapping rows) is a deliberate choice,
    which Power BI Desktop records as `annotation SummarizationSetBy = User`; a column Desktop summarised by its own
    rule carries `SummarizationSetBy = Automatic`, and Desktop may set that summarisation again (a number back to Sum).
    """
    marked: Counter[str] = Counter()
    for table in model.tables.values():
        for column in table.columns.values():
            chosen = column.summarize_by == "none" and column.data_type in ("int64", "double", "decimal")
            assert column.annotations.get("SummarizationSetBy") == ("User" if chosen else "Automatic"), (
                table.name,
                column.name,
                column.annotations,
            )
            marked[column.annotations["SummarizationSetBy"]] += 1
    assert marked["User"] and marked["Automatic"]


def test_the_tmdl_reader_keeps_a_columns_annotations() -> None:
    text = "table t\n\tcolumn rate\n\t\tdataType: double\n\t\tsummarizeBy: none\n\n"
    text += "\t\tannotation SummarizationSetBy = User\n"
    column = tmdl.read_text(text).tables["t"].columns["rate"]
    assert column.annotations == {"SummarizationSetBy": "User"} and column.summarize_by == "none"


@pytest.mark.parametrize("name", OVERLAPPING)
def test_a_table_whose_rows_overlap_adds_up_nothing_by_default_and_says_so(model: tmdl.Model, name: str) -> None:
    table = model.tables[name]
    assert [c.name for c in table.columns.values() if c.summarize_by != "none"] == []
    assert "never add" in table.description
    assert table.measures


def test_every_visual_of_an_area_reads_one_area_type(visuals: dict[str, Any]) -> None:
    """Places, districts and the ICS overlap in population_rates (and a place may share a district's name)."""
    by_area = {
        path: {column for kind, table, column in _fields(visual.get("filterConfig", {})) if kind == "Column"}
        for path, visual in visuals.items()
        if ("Column", "population_rates", "area") in set(_fields(visual["visual"]))
    }
    assert len(by_area) >= 3
    assert {path: columns for path, columns in by_area.items() if "area_type" not in columns} == {}


def test_the_reference_check_catches_a_misspelt_column(model: tmdl.Model) -> None:
    expression = "DIVIDE(SUM(system_cost[total_cots]), [Recrods])"
    columns = [
        m.group(0) for m in _DAX_COLUMN.finditer(expression) if m["column"] not in model.tables["system_cost"].columns
    ]
    measures = [m["measure"] for m in _DAX_MEASURE.finditer(expression)]
    assert columns == ["system_cost[total_cots]"]
    assert measures == ["Recrods"]


def test_relationships_join_existing_columns_many_to_one(model: tmdl.Model, published_ics: Path) -> None:
    assert model.relationships
    for r in model.relationships:
        assert r.from_column in model.tables[r.from_table].columns, r
        assert r.to_column in model.tables[r.to_table].columns, r
        assert r.from_column == r.to_column, r
        keys = pq.read_table(published_ics / f"{r.to_table}.parquet", columns=[r.to_column]).column(0).to_pylist()
        # Power BI compares text keys without regard to case or trailing spaces.
        folded = Counter(None if k is None else k.rstrip().casefold() for k in keys)
        assert [k for k, n in folded.items() if n > 1] == [], f"{r.to_table}.{r.to_column} is not unique"


def test_every_fact_table_with_a_slicer_column_is_related_to_its_dimension(model: tmdl.Model) -> None:
    related = {(r.from_table, r.to_table) for r in model.relationships}
    dimensions = {
        "fin_year": "dim_year",
        "org_code": "dim_provider",
        "pod": "dim_pod",
        "hrg": "dim_hrg",
        "tfc": "dim_tfc",
    }
    missing = [
        (t.name, dimension)
        for t in model.tables.values()
        if not t.name.startswith("dim_")
        for key, dimension in dimensions.items()
        if key in t.columns and (t.name, dimension) not in related
    ]
    assert missing == []


def _fields(node: Any, aliases: dict[str, str] | None = None) -> Iterator[tuple[str, str, str]]:
    """(kind, table, name) of every Column and Measure a visual's JSON refers to, resolving filter aliases."""
    if isinstance(node, dict):
        if "From" in node and isinstance(node["From"], list):
            aliases = {**(aliases or {}), **{f["Name"]: f["Entity"] for f in node["From"]}}
        for kind in ("Column", "Measure"):
            if isinstance(node.get(kind), dict) and "Property" in node[kind]:
                source = node[kind]["Expression"]["SourceRef"]
                table = source.get("Entity") or (aliases or {}).get(source.get("Source", ""), "?")
                yield kind, table, node[kind]["Property"]
        for value in node.values():
            yield from _fields(value, aliases)
    elif isinstance(node, list):
        for value in node:
            yield from _fields(value, aliases)


def test_every_field_a_visual_uses_exists_in_the_model(model: tmdl.Model, visuals: dict[str, Any]) -> None:
    assert len(visuals) > 50
    problems = []
    used = 0
    for path, visual in visuals.items():
        for kind, table, name in _fields(visual):
            used += 1
            known = model.tables.get(table)
            members = known.columns if known and kind == "Column" else known.measures if known else {}
            if name not in members:
                problems.append(f"{path}: no {kind.lower()} {table}[{name}] in the model")
    assert used > 200
    assert not problems, "\n".join(problems)


def test_the_field_check_sees_filter_aliases() -> None:
    visual = {
        "filter": {
            "From": [{"Name": "o", "Entity": "opportunity_summary", "Type": 0}],
            "Where": [{"Column": {"Expression": {"SourceRef": {"Source": "o"}}, "Property": "hrg"}}],
        }
    }
    assert list(_fields(visual)) == [("Column", "opportunity_summary", "hrg")]


def _provider_pages(model: tmdl.Model, visuals: dict[str, Any]) -> set[str]:
    """Pages with a visual that reads a result table by provider (one with an org_code column)."""
    return {
        path.split("/")[1]
        for path, visual in visuals.items()
        if visual["visual"]["visualType"] != "slicer"
        for _, table, _ in _fields(visual)
        if not table.startswith("dim_") and "org_code" in model.tables[table].columns
    }


def test_every_page_has_the_slicers_the_seed_asks_for(model: tmdl.Model, visuals: dict[str, Any]) -> None:
    slicers: dict[str, set[str]] = {}
    for path, visual in visuals.items():
        if visual["visual"]["visualType"] == "slicer":
            [(_, table, column)] = list(_fields(visual["visual"]["query"]))
            slicers.setdefault(path.split("/")[1], set()).add(f"{table}.{column}")
    assert len(slicers) == 13
    assert all("dim_year.fin_year" in found for found in slicers.values())
    by_provider = _provider_pages(model, visuals)
    assert set(slicers) - by_provider == {"population"}
    assert all("dim_provider.provider_name" in slicers[page] for page in by_provider)
    everywhere = set().union(*slicers.values())
    assert {"system_cost.quarter", "dim_pod.pod", "dim_tfc.tfc_label", "dim_hrg.hrg_label"} <= everywhere
    assert {"population_rates.setting", "pathway_cost.pathway_label"} <= everywhere
    assert {"dim_tfc.tfc", "dim_hrg.hrg"} & everywhere == set(), "HRG and TFC slicers show the name with the code"


# The name a visual shows beside each code column (from the dimension the fact table is related to on it).
CODE_NAMES = {"hrg": ("dim_hrg", "hrg_description"), "tfc": ("dim_tfc", "tfc_name")}


def test_every_visual_that_shows_an_hrg_or_tfc_code_shows_its_name_beside_it(visuals: dict[str, Any]) -> None:
    checked = 0
    problems = []
    for path, visual in visuals.items():
        if visual["visual"]["visualType"] == "slicer":
            continue
        fields = set(_fields(visual["visual"].get("query", {})))
        for code, (dimension, name) in CODE_NAMES.items():
            if any(kind == "Column" and column == code for kind, _, column in fields):
                checked += 1
                if ("Column", dimension, name) not in fields:
                    problems.append(f"{path}: shows {code} codes without {dimension}.{name}")
        if ("Column", "system_cost", "hrg_chapter") in fields:
            problems.append(f"{path}: shows chapter codes; show dim_hrg.hrg_chapter_name")
    assert checked >= 8
    assert not problems, "\n".join(problems)


def _m_expressions(model: tmdl.Model) -> dict[str, str]:
    found = {f"partition {t.name}": p.source for t in model.tables.values() for p in t.partitions}
    for variant in render.VARIANTS.values():
        parsed = tmdl.read_text(render.expressions_text(variant), f"{variant.name} expressions.tmdl")
        found |= {f"{variant.name} expression {e.name}": e.text for e in parsed.expressions.values()}
    return found


def test_every_m_expression_parses(model: tmdl.Model) -> None:
    expressions = _m_expressions(model)
    assert len(expressions) >= len(model.tables) + 5
    assert {name: error for name, error in parse_m(expressions).items() if error} == {}


def test_every_dax_measure_parses(model: tmdl.Model) -> None:
    measures = {f"{t.name}[{m.name}]": m.expression for t in model.tables.values() for m in t.measures.values()}
    assert len(measures) >= 20
    assert {name: error for name, error in parse_dax(measures).items() if error} == {}


@pytest.mark.parametrize("name", sorted(render.VARIANTS))
def test_each_variant_defines_the_same_function_and_its_own_parameters(name: str) -> None:
    variant = render.VARIANTS[name]
    parsed = tmdl.read_text(render.expressions_text(variant), name)
    assert set(parsed.expressions) == {"ResultTable", *variant.parameters}
    assert parsed.expressions["ResultTable"].text.startswith("(name as text) as table =>")
    assert {e.name for e in parsed.expressions.values() if e.is_parameter} == set(variant.parameters)
