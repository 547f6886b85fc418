"""What "the published folder equals exactly one refresh" means, checked file by file as a reader would find it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq

from engine.metrics import catalog
from engine.publish import files as published_files
from engine.publish import snapshots
from engine.publish.powerbi import render, tmdl
from engine.publish.workbook import STATIC_WORKBOOK_NAME, WORKBOOK_NAME


def current_manifest(published: Path) -> dict[str, Any] | None:
    path = published / snapshots.POINTER
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def refresh_in_workbook(path: Path) -> int:
    """The refresh id a workbook states on its first sheet ("... Refresh 12 at ...")."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        text = str(book["Overview"]["A2"].value)
    finally:
        book.close()
    return int(text.split("Refresh ", 1)[1].split(" ", 1)[0])


def assert_exactly_one_refresh(published: Path) -> int:
    """Everything the pointer leads a reader to comes from the refresh it names; returns that refresh id."""
    manifest = current_manifest(published)
    assert manifest is not None, "no current.json"
    refresh_id = int(manifest["refresh_id"])
    folder = published / manifest["folder"]
    assert json.loads((folder / published_files.MANIFEST).read_text(encoding="utf-8")) == manifest
    assert set(manifest["tables"]) == {m.name for m in catalog.published()}
    expected = {str(t["file"]) for t in manifest["tables"].values()}
    expected |= {WORKBOOK_NAME, STATIC_WORKBOOK_NAME, published_files.MANIFEST, render.VARIANTS["files"].folder}
    assert {p.name for p in folder.iterdir()} == expected, f"{folder} holds other files"
    for entry in manifest["tables"].values():
        table = pq.read_table(folder / entry["file"])
        assert table.num_rows == entry["rows"], entry
        assert set(table.column("refresh_id").to_pylist()) <= {refresh_id}, (entry, refresh_id)
    for name in (WORKBOOK_NAME, STATIC_WORKBOOK_NAME):
        assert refresh_in_workbook(folder / name) == refresh_id, name
    report = folder / manifest["power_bi"]
    expressions = (report.parent / render.EXPRESSIONS).read_text(encoding="utf-8")
    assert tmdl.parameter_defaults(expressions) == {"ResultsFolder": str(folder.resolve())}
    assert render.rendered_report(published) == report
    for name in (WORKBOOK_NAME, STATIC_WORKBOOK_NAME):  # the copies at the top: whole files of a refresh up to it
        top = published / name
        if top.exists():
            assert zipfile.ZipFile(top).testzip() is None
            assert refresh_in_workbook(top) <= refresh_id
    return refresh_id


def leftovers(published: Path) -> list[str]:
    """What a stopped refresh can leave that a later one removes: hidden part-written folders and files."""
    return sorted(p.name for p in published.iterdir() if p.name.startswith("."))
