"""The syntax checkers themselves: good M and DAX parse, bad M and DAX come back with a message and a position."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pbix_templates import parsers
from tests.pbix_templates.parsers import parse_dax, parse_m

GOOD_M = {
    "text parameter": (
        '"C:\\ICS\\published\\" meta [IsParameterQuery=true, Type="Text", IsParameterQueryRequired=true]'
    ),
    "function": (
        "(name as text) as table =>\n"
        "    let\n"
        '        Source = Parquet.Document(File.Contents(ResultsFolder & name & ".parquet"))\n'
        "    in\n"
        "        Source"
    ),
    "sql navigation": (
        "let\n"
        "    Source = Sql.Database(Server, Database),\n"
        '    #"ics_published opportunity" = Source{[Schema="ics_published", Item="opportunity_summary"]}[Data],\n'
        '    #"Changed type" = Table.TransformColumnTypes(#"ics_published opportunity", {{"hrg", type text}})\n'
        "in\n"
        '    #"Changed type"'
    ),
    "function with navigation": (
        '(name as text) as table =>\n    Sql.Database(Server, Database){[Schema="ics_published", Item=name]}[Data]'
    ),
    "each and comments": (
        "// a line comment\n"
        "let\n"
        '    Rows = Table.SelectRows(Input, each [total_cost] <> null and [hrg] = "(all)"), /* block */\n'
        '    Typed = Table.TransformColumnTypes(Rows, {{"total_cost", type number}})\n'
        "in\n"
        "    Typed"
    ),
    "section document": 'section Section1;\n\nshared ResultsFolder = "C:\\ICS\\published\\";\n',
}

BAD_M = {
    # name: (text, words the message must contain, where it must point)
    "let without in": ("let\n    Source = 1,\n    Next = Source + 1", "'in'", "line 3"),
    "missing closing bracket": (
        'let\n    Source = Sql.Database(Server, Database){[Schema="ics_published", Item=name]\nin\n    Source',
        "'}'",
        "line 3, column 1",
    ),
    "missing closing parenthesis": ('Parquet.Document(File.Contents("x.parquet")', "')'", "end of input"),
    "unterminated text": ('let Source = "C:\\ICS in Source', "Unterminated string", "line 1, column 14"),
    "unterminated quoted name": ('let #"Changed type = 1 in 1', "Unterminated quoted identifier", "line 1, column 5"),
    "bad hex literal": ("let\n    a = 0xZZ\nin\n    a", "hex literal", "line 2, column 9"),
    "two expressions": ("1 2", "more tokens remain", "line 1, column 3"),
    "empty": ("", "end-of-stream", "end of input"),
}

GOOD_DAX = {
    "sum": "SUM(system_cost[total_cost])",
    "divide": "DIVIDE([Total cost], [Activity])",
    "calculate": ('CALCULATE(SUM(opportunity_summary[opportunity_vs_ics]), opportunity_summary[hrg] = "(all)")'),
    "selectedvalue": 'SELECTEDVALUE(trusts[trust_name], "All trusts")',
    "format": 'FORMAT(MAX(x[y]), "dd mmm yyyy")',
    "quoted table": '"Last refreshed " & FORMAT(MAX(\'Refresh info\'[refreshed_at]), "dd mmm yyyy hh:nn")',
    "var return": "VAR cost = SUM(t[x])\nRETURN\n    IF(cost > 0, DIVIDE(cost, [Activity]), BLANK())",
    "in list": 'CALCULATE([Total cost], t[pod] IN {"EL", "NEL"}, NOT(ISBLANK(t[hrg])))',
    "skipped middle argument": "RANKX(ALL(trusts), [Total cost], , DESC)",
    "comments": "-- cost per unit\nDIVIDE([Total cost], [Activity]) /* zero-safe */",
}

BAD_DAX = {
    # name: (text, words the message must contain)
    "open call": ("SUM(", "end of input"),
    "trailing empty argument": ("CALCULATE(SUM(t[x]), )", "empty last argument"),
    "trailing comma in a list": ('t[x] IN {"a", }', "empty last argument"),
    "missing closing parenthesis": ("SUM(t[x]", "expected ',' or a closing bracket, found end of input"),
    "extra closing parenthesis": ("SUM(t[x]))", "unexpected ')' at line 1, column 10"),
    "missing comma": ("DIVIDE([Total cost] [Activity])", "found '[Activity]' at line 1, column 21"),
    "unterminated column": ("SUM(t[x)", "Unterminated bracketed identifier"),
    "unterminated string": ('FORMAT(MAX(x[y]), "dd mmm yyyy)', "Unterminated string literal"),
    "unterminated table name": ("MAX('Refresh info[refreshed_at])", "Unterminated"),
    "bad character": ("SUM(t[x]) ` 1", "Unexpected character"),
    "dangling operator": ("[Total cost] /", "end of input"),
    "double operator": ("t[x] = = 1", "line 1, column 8"),
    "var without return": ("VAR a = 1", "ReturnExpression"),
    "two expressions": ("SUM(t[x]) SUM(t[y])", "unexpected 'SUM'"),
    "empty": ("", "no DAX expression"),
    "only a comment": ("-- nothing", "no DAX expression"),
    "error on a later line": ("IF(\n    1,\n    2\n    3)", "line 4, column 5"),
}


@pytest.fixture(scope="module")
def m_results() -> dict[str, str | None]:
    """Every M text of this module, parsed by one node process."""
    texts = dict(GOOD_M) | {name: text for name, (text, _, _) in BAD_M.items()}
    return parse_m(texts)


@pytest.mark.parametrize("name", GOOD_M)
def test_good_m_parses(m_results: dict[str, str | None], name: str) -> None:
    assert m_results[name] is None


@pytest.mark.parametrize("name", BAD_M)
def test_bad_m_reports_the_parsers_error_and_where(m_results: dict[str, str | None], name: str) -> None:
    _, words, where = BAD_M[name]
    error = m_results[name]
    assert error is not None
    assert words in error
    assert where in error


def test_m_results_keep_the_given_names_in_order(m_results: dict[str, str | None]) -> None:
    assert list(m_results) == list(GOOD_M) + list(BAD_M)


def test_parse_m_of_nothing_starts_no_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsers.subprocess, "run", None)
    assert parse_m({}) == {}


def test_parse_m_without_the_npm_install_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(parsers, "M_PARSER_PACKAGE", tmp_path / "node_modules" / "@microsoft" / "powerquery-parser")
    with pytest.raises(RuntimeError, match="scripts/install"):
        parse_m({"x": "1"})


def test_parse_m_without_node_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsers.shutil, "which", lambda _name: None)
    with pytest.raises(RuntimeError, match="scripts/install"):
        parse_m({"x": "1"})


@pytest.mark.parametrize("name", GOOD_DAX)
def test_good_dax_parses(name: str) -> None:
    assert parse_dax({name: GOOD_DAX[name]}) == {name: None}


@pytest.mark.parametrize("name", BAD_DAX)
def test_bad_dax_reports_an_error(name: str) -> None:
    text, words = BAD_DAX[name]
    error = parse_dax({name: text})[name]
    assert error is not None
    assert words in error


def test_parse_dax_keeps_names_and_order() -> None:
    texts = {"b": "SUM(t[x])", "a": "SUM(", "c": "1"}
    results = parse_dax(texts)
    assert list(results) == ["b", "a", "c"]
    assert results["b"] is None
    assert results["a"] is not None
    assert results["c"] is None
