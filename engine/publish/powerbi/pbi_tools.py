"""Drive pbi-tools, the optional command-line program for Power BI files, when the costing team has installed it.

pbi-tools is a separate .NET program under the AGPL, distributed as zip files on its GitHub releases page; icsbench
neither ships nor downloads it. It comes in two editions: the Desktop edition (`pbi-tools.exe`, Windows only, needs
Power BI Desktop, and alone has `launch-pbi`) and the Core edition (`pbi-tools.core`, any system). It is found
through the PBI_TOOLS environment variable (the program, or the folder it was unzipped to), else on PATH.

What pbi-tools accepts, from its usage documentation: `compile <folder> [-outPath] [-format PBIX|PBIT]
[-overwrite]` builds a file from a PbixProj source folder, and writes PBIX only for report-only projects (a project
holding a data model must be compiled to PBIT); `deploy <folder> <label> [<environment>]` runs a profile of the
folder's deployment manifest; `launch-pbi <pbixPath>` opens Power BI Desktop. Its exit codes are small signed
integers (negative for failures such as -2 invalid arguments and -9 an unexpected error); Windows reports them as
unsigned 32-bit numbers and Linux and macOS as 8-bit ones, so they are turned back into the signed value here.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import IcsBenchError
from engine.progress import Progress, silent

PBI_TOOLS_ENV = "PBI_TOOLS"
EXECUTABLE_NAMES = ("pbi-tools", "pbi-tools.core")
RELEASES_URL = "https://github.com/pbi-tools/pbi-tools/releases"
DEFAULT_TIMEOUT = 900.0

EXIT_MEANINGS = {
    -9: "unexpected error",
    -8: "unspecified error",
    -7: "known exception",
    -3: "not implemented",
    -2: "invalid arguments",
    -1: "no arguments given",
    1: "path not found",
    2: "dependencies not installed",
    3: "file exists",
    4: "unsupported file type",
    5: "overwrite not allowed",
}

COMPILE_FORMATS = {".pbix": "PBIX", ".pbit": "PBIT"}

_OUTPUT_LINES_IN_ERRORS = 20


@dataclass(frozen=True)
class PbiToolsRun:
    """One finished run: the command line, its (signed) exit code and everything it printed."""

    command: tuple[str, ...]
    exit_code: int
    output: tuple[str, ...]


def signed_exit_code(code: int) -> int:
    """The exit code a .NET program returned, from what the operating system reported.

    Windows reports the 32-bit exit code unsigned (-1 as 4294967295); Linux and macOS keep its low 8 bits (-1 as
    255). pbi-tools' own codes lie between -9 and 5, so 129-255 are read as negative too.
    """
    if 2**31 <= code < 2**32:
        return code - 2**32
    if 128 < code <= 255:
        return code - 256
    return code


def find_pbi_tools(environ: Mapping[str, str] | None = None) -> Path | None:
    """The pbi-tools program: PBI_TOOLS if set (a program or the folder holding it), else the first on PATH.

    Returns None when it is not installed; raises `IcsBenchError` when PBI_TOOLS is set but names nothing usable,
    since silently falling back to another copy would hide the mistake.
    """
    env = os.environ if environ is None else environ
    configured = env.get(PBI_TOOLS_ENV, "").strip()
    if configured:
        path = Path(configured).expanduser()
        if path.is_dir():
            for name in EXECUTABLE_NAMES:
                found = shutil.which(name, path=str(path))
                if found:
                    return Path(found)
        elif path.is_file():
            return path
        raise IcsBenchError(
            f"{PBI_TOOLS_ENV} is set to {configured}, but there is no pbi-tools program there; set it to the full "
            "path of pbi-tools.exe (or pbi-tools.core), or to the folder you unzipped pbi-tools into"
        )
    for name in EXECUTABLE_NAMES:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return Path(found)
    return None


def require_pbi_tools(environ: Mapping[str, str] | None = None) -> Path:
    """`find_pbi_tools`, or an error telling the user how to install it."""
    found = find_pbi_tools(environ)
    if found is None:
        raise IcsBenchError(
            "pbi-tools is not installed. It is a separate program (AGPL licence) that icsbench does not ship: "
            f"download a release from {RELEASES_URL} (the Desktop edition on Windows with Power BI Desktop, or the "
            f"Core edition anywhere), unzip it, and put that folder on PATH or set {PBI_TOOLS_ENV} to the program's "
            "full path"
        )
    return found


def compile_project(
    folder: Path,
    out: Path,
    *,
    overwrite: bool = True,
    tool: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress = silent,
) -> PbiToolsRun:
    """Build `out` (.pbix or .pbit, which sets the format) from the source folder with `pbi-tools compile`."""
    if not folder.is_dir():
        raise IcsBenchError(f"{folder}: no such folder to compile; render the Power BI project first")
    file_format = COMPILE_FORMATS.get(out.suffix.lower())
    if file_format is None:
        raise IcsBenchError(f"{out}: pbi-tools compiles to .pbix or .pbit files; end the output name in one of those")
    args = ["compile", str(folder), "-outPath", str(out), "-format", file_format]
    if overwrite:
        args.append("-overwrite")
    done = run_pbi_tools(args, tool=tool, timeout=timeout, progress=progress)
    if not out.is_file():
        raise IcsBenchError(f"pbi-tools compile finished but wrote no {out}; its output was:\n{_tail(done.output)}")
    return done


def deploy_project(
    folder: Path,
    label: str,
    environment: str | None = None,
    *,
    what_if: bool = False,
    tool: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress = silent,
) -> PbiToolsRun:
    """Run profile `label` of the folder's deployment manifest with `pbi-tools deploy` (environment: its default)."""
    if not folder.is_dir():
        raise IcsBenchError(f"{folder}: no such folder to deploy")
    args = ["deploy", str(folder), label]
    if environment:
        args.append(environment)
    if what_if:
        args.append("-whatIf")
    return run_pbi_tools(args, tool=tool, timeout=timeout, progress=progress)


def launch_desktop(
    file: Path, *, tool: Path | None = None, timeout: float = 120.0, progress: Progress = silent
) -> PbiToolsRun:
    """Open `file` (.pbix or .pbit) in Power BI Desktop with `pbi-tools launch-pbi` (Windows, Desktop edition)."""
    if not _on_windows():
        raise IcsBenchError(
            f"Power BI Desktop runs only on Windows; copy {file.name} to a Windows PC and open it there"
        )
    if not file.is_file():
        raise IcsBenchError(f"{file}: no such file to open in Power BI Desktop")
    program = tool or require_pbi_tools()
    if program.name.lower().startswith("pbi-tools.core"):
        raise IcsBenchError(
            f"{program} is the Core edition of pbi-tools, which cannot open Power BI Desktop; install the Desktop "
            f"edition (pbi-tools.exe) from {RELEASES_URL}, or open {file.name} in Power BI Desktop yourself"
        )
    return run_pbi_tools(["launch-pbi", str(file)], tool=program, timeout=timeout, progress=progress)


def run_pbi_tools(
    args: Sequence[str],
    *,
    tool: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress = silent,
    cwd: Path | None = None,
) -> PbiToolsRun:
    """Run pbi-tools with `args`, passing each line it prints to `progress`; a non-zero exit or a run longer than
    `timeout` seconds raises `IcsBenchError` quoting its last lines.

    Lines are read on a helper thread but handed to `progress` on the calling thread.
    """
    program = tool or require_pbi_tools()
    command = (str(program), *args)
    action = args[0] if args else "(no action)"
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            cwd=cwd,
        )
    except OSError as exc:
        raise IcsBenchError(
            f"Could not start pbi-tools ({program}): {exc.strerror or exc}; check that the file is the pbi-tools "
            f"program and that you may run it, or set {PBI_TOOLS_ENV} to the right one"
        ) from exc
    output: list[str] = []
    deadline = time.monotonic() + timeout
    with process:
        lines: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(target=_read_lines, args=(process, lines), daemon=True)
        reader.start()
        finished = _relay(lines, output, progress, deadline)
        if finished:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                finished = False
        if not finished:
            process.kill()
        reader.join(timeout=5)
    if not finished:
        raise IcsBenchError(
            f"pbi-tools {action} did not finish within {timeout:,.0f} seconds and was stopped; its last output "
            f"was:\n{_tail(output)}"
        )
    code = process.returncode
    if code < 0:
        raise IcsBenchError(f"pbi-tools {action} was stopped by signal {-code}; its last output was:\n{_tail(output)}")
    exit_code = signed_exit_code(code)
    if exit_code != 0:
        meaning = EXIT_MEANINGS.get(exit_code)
        described = f"{exit_code} ({meaning})" if meaning else str(exit_code)
        raise IcsBenchError(
            f"pbi-tools {action} failed with exit code {described}; its last output was:\n{_tail(output)}"
        )
    return PbiToolsRun(command=command, exit_code=exit_code, output=tuple(output))


def _relay(lines: queue.Queue[str | None], output: list[str], progress: Progress, deadline: float) -> bool:
    """Collect the reader's lines until the program closes its output (True) or the deadline passes (False)."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            return False
        if line is None:
            return True
        output.append(line)
        progress(line)


def _read_lines(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    """Pass each line the program prints to `lines`, then None; stops quietly if the pipe is closed under it."""
    try:
        for line in process.stdout or ():
            lines.put(line.rstrip("\r\n"))
    except (OSError, ValueError):
        pass
    finally:
        lines.put(None)


def _tail(output: Sequence[str]) -> str:
    shown = [line for line in output if line.strip()][-_OUTPUT_LINES_IN_ERRORS:]
    return "\n".join(f"  {line}" for line in shown) if shown else "  (nothing)"


def _on_windows() -> bool:
    return sys.platform == "win32"
