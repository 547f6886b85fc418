"""Which ICS config (and so which store) Excel uses.

In order: the ICSBENCH_CONFIG environment variable, else the file `icsbench excel install --config` writes in the
user's home folder. The config is read again only when its file changes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from engine import config as config_module
from engine.config import IcsConfig
from engine.errors import IcsBenchError

CONFIG_ENV = "ICSBENCH_CONFIG"
SETTINGS_FOLDER = ".icsbenchmarking"
SETTINGS_FILE = "excel.json"


def settings_file(home: Path | None = None) -> Path:
    """Where `icsbench excel install` records the config Excel should use."""
    return (home or Path.home()) / SETTINGS_FOLDER / SETTINGS_FILE


def save_config_choice(config_path: Path, home: Path | None = None) -> Path:
    """Record `config_path` as the config Excel uses; returns the settings file written."""
    target = settings_file(home)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"config": str(config_path.resolve())}, indent=2), encoding="utf-8")
    return target


def config_path(home: Path | None = None) -> Path:
    """The config file Excel uses, or an error that says how to choose one."""
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    chosen = settings_file(home)
    if chosen.exists():
        try:
            return Path(json.loads(chosen.read_text(encoding="utf-8"))["config"])
        except (ValueError, KeyError, TypeError) as exc:
            raise IcsBenchError(
                f"{chosen}: not a settings file icsbench wrote ({exc}); run `icsbench excel install`"
            ) from exc
    raise IcsBenchError(
        f"no ICS config chosen for Excel: run `icsbench excel install --config PATH-TO-ics.toml`, or set {CONFIG_ENV}"
    )


class ConfigSource:
    """The config Excel uses, re-read when the file (or the choice of file) changes."""

    def __init__(self, path: Path | None = None) -> None:
        self._fixed = path
        self._resolved: Path | None = None
        self._seen: tuple[Path, int] | None = None
        self._config: IcsConfig | None = None

    def __call__(self) -> IcsConfig:
        path = self.path
        try:
            stamp = (path, path.stat().st_mtime_ns)
        except FileNotFoundError:
            raise IcsBenchError(f"{path}: the ICS config Excel is set to use does not exist") from None
        if self._config is None or stamp != self._seen:
            self._config = config_module.load(path)
            self._seen = stamp
        return self._config

    @property
    def path(self) -> Path:
        """The config file in use (looked up once; `forget` looks again)."""
        if self._fixed:
            return self._fixed
        if self._resolved is None:
            self._resolved = config_path()
        return self._resolved

    def forget(self) -> None:
        """Look up which config to use again on the next call (after Settings changed it)."""
        self._resolved = None
        self._config = None
