"""Vendor, unchanged, the Microsoft JSON schemas the Power BI templates need from a snapshot of microsoft/json-schemas.

    python -m tests.pbix_templates.vendor_schemas PATH-TO-SNAPSHOT        (a folder holding fabric/...)

For every kind of file the templates hold (visual.json, page.json, report.json, ...) it copies every version of that
kind's schema up to the one the files declare (the lower ones let the tests prove each file declares the lowest
version it validates against), and every file their `$ref`s reach; it removes vendored schemas nothing needs, and
writes `snapshot_versions.json`: every version of those kinds the snapshot publishes, so the tests can say that no
file declares a schema newer than Microsoft's. Nothing is fetched from the network.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urljoin

from tests.pbix_templates import schema_check

TEMPLATES = Path(__file__).resolve().parents[2] / "pbix_templates"
VERSIONS_FILE = Path(__file__).resolve().parent / "snapshot_versions.json"


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def split_url(url: str) -> tuple[str, str]:
    """(kind, version) of a schema URL: ("fabric/item/report/definition/page", "1.0.0")."""
    kind, version, _ = url.removeprefix(schema_check.URL_PREFIX).rsplit("/", 2)
    return kind, version


def declared(templates: Path = TEMPLATES) -> dict[str, str]:
    """The schema version each kind of file in the templates declares (one version per kind)."""
    found: dict[str, set[str]] = {}
    for path in schema_check.files_to_check(templates):
        kind, version = split_url(json.loads(path.read_text(encoding="utf-8"))["$schema"])
        found.setdefault(kind, set()).add(version)
    mixed = {kind: versions for kind, versions in found.items() if len(versions) > 1}
    if mixed:
        raise SystemExit(f"files of one kind declare different versions: {mixed}")
    return {kind: versions.pop() for kind, versions in found.items()}


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _by_id(snapshot: Path) -> dict[str, str]:
    """Files by the `$id` they declare where it differs from their path (schema-embedded.json: schema.embedded.json)."""
    ids = {}
    for path in snapshot.rglob("*.json"):
        content = json.loads(path.read_text(encoding="utf-8-sig"))
        if isinstance(content, dict) and isinstance(content.get("$id"), str):
            ids[content["$id"].rstrip("#")] = path.relative_to(snapshot).as_posix()
    return ids


def needed(snapshot: Path, kinds: dict[str, str]) -> list[str]:
    """Snapshot-relative paths: every version of each kind up to the declared one, and the closure of their $refs."""
    todo = [
        f"{kind}/{folder.name}/schema.json"
        for kind, version in kinds.items()
        for folder in (snapshot / kind).iterdir()
        if folder.is_dir() and version_key(folder.name) <= version_key(version)
    ]
    ids = _by_id(snapshot)
    found: set[str] = set()
    while todo:
        relative = todo.pop()
        if not (snapshot / relative).is_file():
            relative = ids.get(schema_check.URL_PREFIX + relative, relative)
        if relative in found:
            continue
        if not (snapshot / relative).is_file():
            raise SystemExit(f"{relative}: not in the snapshot")
        found.add(relative)
        base = schema_check.URL_PREFIX + relative
        for ref in _refs(json.loads((snapshot / relative).read_text(encoding="utf-8-sig"))):
            target = urljoin(base, ref.split("#", 1)[0]) if not ref.startswith("#") else base
            if target.startswith(schema_check.URL_PREFIX):
                todo.append(target.removeprefix(schema_check.URL_PREFIX))
    return sorted(found)


def published_versions(snapshot: Path, kinds: Sequence[str]) -> dict[str, list[str]]:
    return {
        kind: sorted((f.name for f in (snapshot / kind).iterdir() if f.is_dir()), key=version_key)
        for kind in sorted(kinds)
    }


def vendor(snapshot: Path) -> list[str]:
    kinds = declared()
    keep = needed(snapshot, kinds)
    root = schema_check.SCHEMA_ROOT
    for path in sorted(root.rglob("*.json")):
        if path.relative_to(root).as_posix() not in keep:
            path.unlink()
    for relative in keep:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(snapshot / relative, root / relative)
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    VERSIONS_FILE.write_text(json.dumps(published_versions(snapshot, list(kinds)), indent=2) + "\n", encoding="utf-8")
    return keep


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.pbix_templates.vendor_schemas", description=__doc__)
    parser.add_argument("snapshot", type=Path, help="a copy of microsoft/json-schemas (the folder holding fabric/)")
    args = parser.parse_args(argv)
    if not (args.snapshot / "fabric").is_dir():
        print(f"{args.snapshot}: no fabric/ folder in it", file=sys.stderr)
        return 1
    for relative in vendor(args.snapshot):
        print(f"vendored {relative}")
    print(f"wrote {VERSIONS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
