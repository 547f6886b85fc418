"""Validate a Power BI Project's JSON files offline against Microsoft's published JSON schemas.

Every file names its schema in `$schema` (`https://developer.microsoft.com/json-schemas/<path>`); the schemas are
vendored unchanged under `json_schemas/<path>` (see json_schemas/README.md). Every `$ref` is resolved from the vendored
files only: a schema or a `$ref` that is not vendored is reported (or raised), never fetched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, ValidationError, validators
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT7

SCHEMA_ROOT = Path(__file__).parent / "json_schemas"
URL_PREFIX = "https://developer.microsoft.com/json-schemas/"
# Files of a Power BI Project that are JSON with a `$schema`, besides every *.json under a *.Report/definition/ folder.
PROJECT_FILE_SUFFIXES = (".pbip", ".pbir", ".pbism")
PLATFORM_FILE = ".platform"
_MAX_MESSAGE = 300


@dataclass
class TreeCheck:
    """What `check_tree` found: one readable line per problem, and every file it checked."""

    problems: list[str] = field(default_factory=list)
    checked: list[Path] = field(default_factory=list)


def validate_tree(folder: Path) -> list[str]:
    """Problems in the Power BI Project files under `folder`, one "<file>: <json path>: <message>" line each."""
    return check_tree(folder).problems


def check_tree(folder: Path) -> TreeCheck:
    result = TreeCheck()
    for path in files_to_check(folder):
        result.checked.append(path)
        result.problems.extend(validate_file(path, path.relative_to(folder).as_posix()))
    return result


def files_to_check(folder: Path) -> list[Path]:
    """Every *.pbip, *.pbir, *.pbism and .platform file under `folder`, and every *.json under *.Report/definition/."""
    return sorted(path for path in folder.rglob("*") if path.is_file() and _has_schema(path))


def _has_schema(path: Path) -> bool:
    if path.suffix in PROJECT_FILE_SUFFIXES or path.name == PLATFORM_FILE:
        return True
    return path.suffix == ".json" and _under_report_definition(path)


def _under_report_definition(path: Path) -> bool:
    parents = path.absolute().parts[:-1]
    return any(
        name.endswith(".Report") and i + 1 < len(parents) and parents[i + 1] == "definition"
        for i, name in enumerate(parents)
    )


def validate_file(path: Path, shown_as: str) -> list[str]:
    try:
        instance = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"{shown_as}: $: not valid UTF-8 JSON: {exc}"]
    if not isinstance(instance, dict):
        return [f"{shown_as}: $: expected a JSON object"]
    url = instance.get("$schema")
    if not isinstance(url, str):
        return [f'{shown_as}: $: no "$schema" property naming the file\'s schema']
    if vendored_path(url) is None:
        hint = url.removeprefix(URL_PREFIX) if url.startswith(URL_PREFIX) else url
        return [
            f"{shown_as}: $.$schema: schema {url} is not vendored: add it (and every file its $refs reach) "
            f"as tests/pbix_templates/json_schemas/{hint}"
        ]
    try:
        errors = sorted(validator_for_url(url).iter_errors(instance), key=lambda e: list(e.absolute_path))
        return [f"{shown_as}: {_describe(error)}" for error in errors]
    except Unresolvable as exc:
        return [f"{shown_as}: $: {exc}: the schema refers to a file that is not vendored; vendor it too"]


def _describe(error: ValidationError) -> str:
    if error.context:  # oneOf/anyOf: name the branch that came closest rather than repeating the whole instance.
        closest = best_match(error.context)
        if closest is not None:
            error = closest
    message = error.message
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE] + "..."
    return f"{error.json_path}: {message}"


def vendored_path(url: str) -> Path | None:
    """The vendored file for a schema URL, or None when the URL is not under URL_PREFIX or not vendored."""
    if not url.startswith(URL_PREFIX):
        return None
    path = SCHEMA_ROOT / url.removeprefix(URL_PREFIX).split("#", 1)[0]
    return path if path.is_file() else None


def vendored_urls() -> list[str]:
    return sorted(URL_PREFIX + p.relative_to(SCHEMA_ROOT).as_posix() for p in SCHEMA_ROOT.rglob("*.json"))


@cache
def registry() -> Registry[Any]:
    """Every vendored schema under its URL (and under its `$id` where that differs); anything else is refused."""
    resources: list[tuple[str, Resource[Any]]] = []
    for url in vendored_urls():
        contents = _load_vendored(url)
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        resources.append((url, resource))
        schema_id = contents.get("$id")
        if isinstance(schema_id, str) and schema_id.rstrip("#") != url:
            # schema-embedded.json files declare `.../schema.embedded.json` as their $id.
            resources.append((schema_id.rstrip("#"), resource))
    return Registry(retrieve=_refuse_to_fetch).with_resources(resources)


def _refuse_to_fetch(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)


@cache
def _load_vendored(url: str) -> dict[str, Any]:
    path = vendored_path(url)
    if path is None:
        raise LookupError(f"{url} is not vendored under {SCHEMA_ROOT}")
    contents = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(contents, dict):
        raise TypeError(f"{path}: a schema must be a JSON object")
    return contents


@cache
def validator_for_url(url: str) -> Validator:
    """A validator (of the draft the schema declares; draft-07 if it declares none) wired to the offline registry."""
    schema = _load_vendored(url)
    cls = validators.validator_for(schema, default=Draft7Validator)
    return cls(schema, registry=registry())


def unresolved_refs() -> list[str]:
    """Every `$ref` in the vendored schemas that does not resolve offline (should be empty: the closure is complete)."""
    problems: list[str] = []
    for url in vendored_urls():
        resolver = registry().resolver(base_uri=url)
        for ref in sorted(set(_refs(_load_vendored(url)))):
            try:
                resolver.lookup(ref)
            except Unresolvable as exc:
                problems.append(f"{url}: $ref {ref}: {exc}")
    return problems


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []
