"""Versions switched in by a pointer: complete before they are named, one rename to switch, leftovers cleaned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import IcsBenchError
from engine.publish import snapshots


def _version(root: Path, name: str, text: str) -> Path:
    with snapshots.staged(root, name) as staging:
        (staging / "data.txt").write_text(text)
    return snapshots.finish_version(root, staging, snapshots.free_name(root, name))


def test_a_version_is_hidden_until_finished_and_current_only_once_switched(tmp_path: Path) -> None:
    with snapshots.staged(tmp_path, "v-1") as staging:
        (staging / "data.txt").write_text("one")
        assert staging.name.startswith(".v-1") and snapshots.read_pointer(tmp_path) is None
    folder = snapshots.finish_version(tmp_path, staging, "v-1")
    assert snapshots.read_pointer(tmp_path) is None
    snapshots.switch(tmp_path, {"folder": folder.name, "n": 1})
    current = snapshots.read_pointer(tmp_path)
    assert current == {"format": snapshots.FORMAT, "folder": "v-1", "n": 1}
    assert (snapshots.version_folder(tmp_path, current) / "data.txt").read_text() == "one"


def test_a_failed_version_leaves_nothing_and_the_current_one_stays(tmp_path: Path) -> None:
    snapshots.switch(tmp_path, {"folder": _version(tmp_path, "v-1", "one").name})
    with pytest.raises(RuntimeError), snapshots.staged(tmp_path, "v-2") as staging:
        (staging / "data.txt").write_text("half")
        raise RuntimeError("disk full")
    assert sorted(p.name for p in tmp_path.iterdir()) == [snapshots.POINTER, "v-1"]
    with pytest.raises(IcsBenchError, match="missing"):
        snapshots.switch(tmp_path, {"folder": "v-2"})
    assert snapshots.read_pointer(tmp_path)["folder"] == "v-1"  # type: ignore[index]


def test_clean_keeps_the_current_and_newest_versions_and_removes_what_a_stopped_writer_left(tmp_path: Path) -> None:
    names = [_version(tmp_path, f"v-{i}", str(i)).name for i in range(1, 6)]
    snapshots.switch(tmp_path, {"folder": "v-2", "other": "v-1"})
    (tmp_path / f".v-9{snapshots.PARTIAL}x").mkdir()
    (tmp_path / f".{snapshots.POINTER}.y").write_text("{")
    removed = snapshots.clean(tmp_path, prefix="v-", keep=2)
    assert {p.name for p in removed} == {"v-3", f".v-9{snapshots.PARTIAL}x", f".{snapshots.POINTER}.y"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([snapshots.POINTER, "v-1", "v-2", *names[3:]])


def test_the_pointer_is_replaced_once_a_reader_lets_go_of_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshots.switch(tmp_path, {"folder": _version(tmp_path, "v-1", "one").name})
    _version(tmp_path, "v-2", "two")
    real_replace = Path.replace
    refused: list[str] = []

    def replace(self: Path, target: Path | str) -> Path:
        if Path(target).name == snapshots.POINTER and len(refused) < 3:
            refused.append(str(target))  # Windows refuses while another process has the file open
            raise PermissionError(13, "being used by another process")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace)
    monkeypatch.setattr(snapshots, "REPLACE_PAUSE_SECONDS", 0.001)
    snapshots.switch(tmp_path, {"folder": "v-2"})
    assert len(refused) == 3
    assert json.loads((tmp_path / snapshots.POINTER).read_text())["folder"] == "v-2"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(f".{snapshots.POINTER}")]
