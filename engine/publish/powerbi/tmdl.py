"""Read the parts of a TMDL semantic model the engine and its checks need: tables, columns, measures, partitions,
shared expressions (parameters) and relationships.

TMDL is indentation-based text that Power BI Desktop writes and reads. Microsoft publishes no schema or parser for
it outside .NET, so this reader covers the subset our templates use and refuses what it does not understand rather
than guess: every object line must be one it knows, and every expression is kept as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_NAME = r"(?:'(?:[^']|'')+'|[^\s=.']+)"
_OBJECT = re.compile(rf"^(?P<kind>[a-zA-Z]+)(?: (?P<name>{_NAME}))?(?: = ?(?P<rest>.*))?$")
_PROPERTY = re.compile(r"^(?P<key>[a-zA-Z]+)(?:: (?P<value>.*)| =(?P<expr> ?.*))?$")
_ANNOTATION = re.compile(r"^annotation (?P<name>[A-Za-z_]\w*) = (?P<value>.*)$")
_QUALIFIED = re.compile(rf"^(?P<table>{_NAME})\.(?P<column>{_NAME})$")
_PARAMETER_META = "meta [IsParameterQuery=true"


class TmdlError(ValueError):
    """A TMDL file this reader cannot follow: names the file and line."""


@dataclass
class Column:
    name: str
    data_type: str = ""
    source_column: str = ""
    summarize_by: str = ""
    format_string: str = ""
    sort_by_column: str = ""
    description: str = ""
    annotations: dict[str, str] = field(default_factory=dict)
    """`annotation Name = Value` lines under the column (e.g. SummarizationSetBy = User)."""


@dataclass
class Measure:
    name: str
    expression: str
    format_string: str = ""
    description: str = ""


@dataclass
class Partition:
    name: str
    kind: str
    source: str = ""


@dataclass
class Table:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    measures: dict[str, Measure] = field(default_factory=dict)
    partitions: list[Partition] = field(default_factory=list)
    description: str = ""


@dataclass
class Expression:
    name: str
    text: str
    description: str = ""

    @property
    def is_parameter(self) -> bool:
        return _PARAMETER_META in self.text


@dataclass(frozen=True)
class Relationship:
    name: str
    from_table: str
    from_column: str
    to_table: str
    to_column: str


@dataclass
class Model:
    tables: dict[str, Table] = field(default_factory=dict)
    expressions: dict[str, Expression] = field(default_factory=dict)
    relationships: list[Relationship] = field(default_factory=list)


def unquote(name: str) -> str:
    """'Total cost' -> Total cost; bare names as they are."""
    if len(name) >= 2 and name[0] == name[-1] == "'":
        return name[1:-1].replace("''", "'")
    return name


def read_model(definition: Path) -> Model:
    """Read a semantic model's `definition/` folder: *.tmdl at the top and tables/*.tmdl."""
    model = Model()
    files = sorted(definition.glob("*.tmdl")) + sorted((definition / "tables").glob("*.tmdl"))
    for path in files:
        _read_file(path, model)
    return model


def read_text(text: str, source: str = "<text>") -> Model:
    """Read one TMDL file's text (`source` names it in errors)."""
    model = Model()
    _read_text(text, source, model)
    return model


def parameter_defaults(text: str) -> dict[str, str]:
    """The default value of each text parameter in an expressions.tmdl text."""
    model = read_text(text, "expressions.tmdl")
    return {e.name: parameter_value(e.text) for e in model.expressions.values() if e.is_parameter}


def parameter_value(m_text: str) -> str:
    """The text value of a parameter expression: "C:\\x" meta [...] -> C:\\x (M doubles quotes inside a string)."""
    match = re.match(r'^"((?:[^"]|"")*)"\s+meta\s+\[', m_text)
    if not match:
        raise TmdlError(f"not a text parameter: {m_text[:60]}")
    return match.group(1).replace('""', '"')


def _read_file(path: Path, model: Model) -> None:
    _read_text(path.read_text(encoding="utf-8-sig"), path.name, model)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip("\t"))


def _read_text(text: str, source: str, model: Model) -> None:
    lines = text.splitlines()
    table: Table | None = None
    target: Column | Measure | Partition | Expression | None = None
    description: list[str] = []
    relationship: dict[str, str] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        where = f"{source} line {index + 1}"
        index += 1
        stripped = line.strip()
        if not stripped:
            continue
        depth = _indent(line)
        if stripped.startswith("///"):
            description.append(stripped[3:].strip())
            continue
        if depth == 0:
            _finish_relationship(relationship, model, where)
            table, target = None, None
            if stripped.startswith("ref "):
                continue
            match = _OBJECT.match(stripped)
            if not match:
                raise TmdlError(f"{where}: cannot read {stripped!r}")
            kind, name, rest = match.group("kind"), unquote(match.group("name") or ""), match.group("rest")
            if kind == "table":
                table = model.tables.setdefault(name, Table(name, description=" ".join(description)))
            elif kind == "expression":
                body, index = _expression(rest, lines, index, depth)
                target = model.expressions[name] = Expression(name, body, " ".join(description))
            elif kind == "relationship":
                relationship = {"name": name}
            elif kind not in ("model", "database", "ref", "queryGroup", "annotation", "culture", "role"):
                raise TmdlError(f"{where}: unknown object {kind!r}")
            description = []
            continue
        if relationship and depth == 1:
            prop = _PROPERTY.match(stripped)
            if prop and prop.group("value") is not None:
                relationship[prop.group("key")] = prop.group("value")
            continue
        if table is not None and depth == 1:
            prop = _PROPERTY.match(stripped)
            if prop and prop.group("value") is not None:
                target, description = None, []
                continue
            match = _OBJECT.match(stripped)
            if not match:
                raise TmdlError(f"{where}: cannot read {stripped!r}")
            kind, name, rest = match.group("kind"), unquote(match.group("name") or ""), match.group("rest")
            text_of = " ".join(description)
            description = []
            if kind == "column":
                target = table.columns[name] = Column(name, description=text_of)
            elif kind == "measure":
                body, index = _expression(rest, lines, index, depth)
                target = table.measures[name] = Measure(name, body, description=text_of)
            elif kind == "partition":
                target = Partition(name, (rest or "").strip())
                table.partitions.append(target)
            elif kind in ("annotation", "hierarchy", "isHidden", "changedProperty"):
                target = None
            else:
                raise TmdlError(f"{where}: unknown table member {kind!r}")
            continue
        if depth >= 1 and target is not None:
            annotation = _ANNOTATION.match(stripped)
            if annotation and isinstance(target, Column):
                target.annotations[annotation["name"]] = annotation["value"]
                continue
            prop = _PROPERTY.match(stripped)
            if not prop:
                continue
            key = prop.group("key")
            if prop.group("expr") is not None:
                body, index = _expression(prop.group("expr"), lines, index, depth)
                if isinstance(target, Partition) and key == "source":
                    target.source = body
                continue
            _set_property(target, key, prop.group("value") or "")
    _finish_relationship(relationship, model, source)


def _set_property(target: Column | Measure | Partition | Expression, key: str, value: str) -> None:
    if isinstance(target, Column):
        attribute = {
            "dataType": "data_type",
            "sourceColumn": "source_column",
            "summarizeBy": "summarize_by",
            "formatString": "format_string",
            "sortByColumn": "sort_by_column",
        }.get(key)
        if attribute:
            setattr(target, attribute, unquote(value))
    elif isinstance(target, Measure) and key == "formatString":
        target.format_string = value


def _expression(rest: str | None, lines: list[str], index: int, depth: int) -> tuple[str, int]:
    """An expression after `=`: on the same line, or on the following lines indented two levels deeper."""
    if rest and rest.strip():
        return rest.strip(), index
    body: list[str] = []
    while index < len(lines) and (not lines[index].strip() or _indent(lines[index]) >= depth + 2):
        body.append(lines[index][depth + 2 :])
        index += 1
    return "\n".join(body).strip("\n"), index


def _finish_relationship(relationship: dict[str, str], model: Model, where: str) -> None:
    if not relationship:
        return
    ends = []
    for key in ("fromColumn", "toColumn"):
        match = _QUALIFIED.match(relationship.get(key, ""))
        if not match:
            raise TmdlError(f"{where}: relationship {relationship['name']} needs {key}: table.column")
        ends.append((unquote(match.group("table")), unquote(match.group("column"))))
    model.relationships.append(Relationship(relationship["name"], *ends[0], *ends[1]))
    relationship.clear()
