"""The pbi-tools wrapper, run against a stub program that records its arguments and exits as told."""

from __future__ import annotations

import json
import stat
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from engine.errors import IcsBenchError
from engine.publish.powerbi import pbi_tools
from engine.publish.powerbi.pbi_tools import (
    compile_project,
    deploy_project,
    find_pbi_tools,
    launch_desktop,
    require_pbi_tools,
    run_pbi_tools,
    signed_exit_code,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the stub program relies on a #! line")


class Stub:
    """A fake pbi-tools: writes its arguments to a file, prints the given lines, writes -outPath, exits."""

    def __init__(
        self,
        folder: Path,
        name: str = "pbi-tools",
        *,
        exit_code: int = 0,
        lines: Sequence[str] = (),
        sleep: float = 0.0,
        write_out: bool = True,
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / name
        self.argv_file = folder / f"{name}.argv.json"
        self.path.write_text(
            f"#!{sys.executable}\n"
            "import json, pathlib, sys, time\n"
            f"pathlib.Path({str(self.argv_file)!r}).write_text(json.dumps(sys.argv[1:]), encoding='utf-8')\n"
            f"for line in {list(lines)!r}:\n"
            "    print(line, flush=True)\n"
            f"if {write_out!r} and '-outPath' in sys.argv:\n"
            "    out = pathlib.Path(sys.argv[sys.argv.index('-outPath') + 1])\n"
            "    out.parent.mkdir(parents=True, exist_ok=True)\n"
            "    out.write_bytes(b'PK')\n"
            f"time.sleep({sleep!r})\n"
            f"sys.exit({exit_code!r})\n",
            encoding="utf-8",
        )
        self.path.chmod(self.path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    @property
    def argv(self) -> list[str]:
        return list(json.loads(self.argv_file.read_text(encoding="utf-8")))

    @property
    def ran(self) -> bool:
        return self.argv_file.exists()


@pytest.fixture
def no_tool_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty PATH and no PBI_TOOLS: the returned folder is the only place on PATH."""
    on_path = tmp_path / "on-path"
    on_path.mkdir()
    monkeypatch.setenv("PATH", str(on_path))
    monkeypatch.delenv("PBI_TOOLS", raising=False)
    return on_path


def project(tmp_path: Path) -> Path:
    folder = tmp_path / "ICS Benchmarking"
    folder.mkdir()
    return folder


def test_it_is_found_on_path_under_either_name(no_tool_configured: Path) -> None:
    assert find_pbi_tools() is None
    core = Stub(no_tool_configured, "pbi-tools.core")
    assert find_pbi_tools() == core.path
    desktop = Stub(no_tool_configured, "pbi-tools")
    assert find_pbi_tools() == desktop.path


def test_pbi_tools_variable_overrides_path(
    no_tool_configured: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Stub(no_tool_configured)
    chosen = Stub(tmp_path / "unzipped", "pbi-tools.core")
    monkeypatch.setenv("PBI_TOOLS", str(chosen.path))
    assert find_pbi_tools() == chosen.path
    monkeypatch.setenv("PBI_TOOLS", str(tmp_path / "unzipped"))
    assert find_pbi_tools() == chosen.path
    compile_project(project(tmp_path), tmp_path / "out.pbit")
    assert chosen.ran


def test_a_wrong_pbi_tools_variable_is_reported(no_tool_configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Stub(no_tool_configured)
    monkeypatch.setenv("PBI_TOOLS", "/nowhere/pbi-tools.exe")
    with pytest.raises(IcsBenchError, match=r"PBI_TOOLS is set to /nowhere/pbi-tools\.exe, but there is no pbi-tools"):
        find_pbi_tools()


def test_a_missing_tool_says_what_to_install(no_tool_configured: Path, tmp_path: Path) -> None:
    with pytest.raises(IcsBenchError) as raised:
        compile_project(project(tmp_path), tmp_path / "out.pbit")
    message = str(raised.value)
    assert message.startswith("pbi-tools is not installed")
    assert "AGPL" in message and "https://github.com/pbi-tools/pbi-tools/releases" in message
    assert "PATH" in message and "PBI_TOOLS" in message
    with pytest.raises(IcsBenchError, match="not installed"):
        require_pbi_tools()


@pytest.mark.parametrize(("suffix", "file_format"), [(".pbit", "PBIT"), (".PBIX", "PBIX")])
def test_compile_passes_the_folder_output_and_format(
    no_tool_configured: Path, tmp_path: Path, suffix: str, file_format: str
) -> None:
    stub = Stub(no_tool_configured, lines=["Reading PBIXPROJ settings", "PBIT file written to: out"])
    folder = project(tmp_path)
    out = tmp_path / "build" / f"ICS Benchmarking{suffix}"
    seen: list[str] = []
    done = compile_project(folder, out, progress=seen.append)
    assert stub.argv == ["compile", str(folder), "-outPath", str(out), "-format", file_format, "-overwrite"]
    assert seen == ["Reading PBIXPROJ settings", "PBIT file written to: out"] and done.output == tuple(seen)
    assert done.exit_code == 0 and done.command[0] == str(stub.path)


def test_compile_checks_its_inputs_and_its_output(no_tool_configured: Path, tmp_path: Path) -> None:
    stub = Stub(no_tool_configured, write_out=False)
    folder = project(tmp_path)
    with pytest.raises(IcsBenchError, match=r"compiles to \.pbix or \.pbit"):
        compile_project(folder, tmp_path / "out.zip")
    with pytest.raises(IcsBenchError, match="no such folder"):
        compile_project(tmp_path / "missing", tmp_path / "out.pbit")
    assert not stub.ran
    with pytest.raises(IcsBenchError, match="finished but wrote no"):
        compile_project(folder, tmp_path / "out.pbit", overwrite=False)
    assert "-overwrite" not in stub.argv


def test_deploy_passes_folder_label_and_environment(no_tool_configured: Path, tmp_path: Path) -> None:
    stub = Stub(no_tool_configured)
    folder = project(tmp_path)
    deploy_project(folder, "Datasets", "Production")
    assert stub.argv == ["deploy", str(folder), "Datasets", "Production"]
    deploy_project(folder, "Datasets", what_if=True)
    assert stub.argv == ["deploy", str(folder), "Datasets", "-whatIf"]


@pytest.mark.parametrize(
    ("exit_status", "shown"),
    [(255, "exit code -1 (no arguments given)"), (254, "exit code -2 (invalid arguments)"), (3, "exit code 3 (file")],
)
def test_a_failure_gives_the_signed_exit_code_and_the_output(
    no_tool_configured: Path, tmp_path: Path, exit_status: int, shown: str
) -> None:
    Stub(no_tool_configured, exit_code=exit_status, lines=["Reading settings", "Error: the folder is not a PbixProj"])
    with pytest.raises(IcsBenchError) as raised:
        compile_project(project(tmp_path), tmp_path / "out.pbit")
    assert f"pbi-tools compile failed with {shown}" in str(raised.value)
    assert "  Error: the folder is not a PbixProj" in str(raised.value)


@pytest.mark.parametrize(
    ("reported", "signed"),
    [
        (4294967295, -1),
        (4294967294, -2),
        (4294967287, -9),
        (2147516566, -2147450730),
        (255, -1),
        (247, -9),
        (0, 0),
        (5, 5),
    ],
)
def test_exit_codes_are_read_as_signed(reported: int, signed: int) -> None:
    assert signed_exit_code(reported) == signed


def test_a_run_past_its_timeout_is_stopped(no_tool_configured: Path, tmp_path: Path) -> None:
    Stub(no_tool_configured, lines=["Compiling..."], sleep=60)
    started = time.monotonic()
    with pytest.raises(IcsBenchError) as raised:
        compile_project(project(tmp_path), tmp_path / "out.pbit", timeout=1.0)
    assert time.monotonic() - started < 30
    assert "pbi-tools compile did not finish within 1 seconds and was stopped" in str(raised.value)
    assert "Compiling..." in str(raised.value)


def test_a_program_that_cannot_run_is_reported(tmp_path: Path) -> None:
    not_a_program = tmp_path / "pbi-tools"
    not_a_program.write_text("plain text", encoding="utf-8")
    with pytest.raises(IcsBenchError, match="Could not start pbi-tools"):
        run_pbi_tools(["info"], tool=not_a_program)


def test_launch_opens_power_bi_desktop_on_windows_only(
    no_tool_configured: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "ICS Benchmarking.pbit"
    report.write_bytes(b"PK")
    desktop = Stub(no_tool_configured)
    monkeypatch.setattr(pbi_tools, "_on_windows", lambda: False)
    with pytest.raises(IcsBenchError, match="only on Windows"):
        launch_desktop(report)
    monkeypatch.setattr(pbi_tools, "_on_windows", lambda: True)
    launch_desktop(report)
    assert desktop.argv == ["launch-pbi", str(report)]
    core = Stub(tmp_path / "core", "pbi-tools.core")
    with pytest.raises(IcsBenchError, match="Core edition of pbi-tools, which cannot open Power BI Desktop"):
        launch_desktop(report, tool=core.path)
