"""Running icsbench as a program of its own, as a user, Excel or a scheduled task starts it (tests/conftest.py has the
tiny synthetic ICS these tests run it on)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from engine import config as config_module
from tests.conftest import PSEUDONYM_KEY


def icsbench(root: Path, *args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
    """`icsbench ARGS --config root/ics.toml` as a program of its own, as a user or Excel would start it."""
    env = {**os.environ, config_module.PSEUDONYM_KEY_ENV: PSEUDONYM_KEY}
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *args, "--config", str(root / "ics.toml")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **kwargs,
    )


def finished(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    """Wait for a program started by `icsbench` (or killed) and collect its exit code and output."""
    output, _ = process.communicate()
    return process.returncode, output.decode("utf-8", errors="replace")


def run_icsbench(root: Path, *args: str) -> tuple[int, str]:
    """`icsbench ARGS` to the end: its exit code and output."""
    return finished(icsbench(root, *args))
