"""Render the Power BI templates: copy the Power BI Project in `pbix_templates/` and set its parameters' defaults.

One report and one semantic model serve two variants that differ only in `expressions.tmdl`, where the data comes
from: the single user's (`files`: the Parquet files the engine publishes, in the `ResultsFolder` parameter) and the
ICS's (`sqlserver`: the published views on the shared SQL Server, in the `Server` and `Database` parameters).
Rendering changes nothing but those parameter values (a golden-file test holds it to that), so the report a user
opens is the one in the repository. Desktop loads the data when the user opens the project and presses Refresh.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from engine.errors import IcsBenchError
from engine.publish import snapshots
from engine.publish.atomic import as_usual
from engine.publish.powerbi import tmdl

PROJECT = "ICS Benchmarking"
EXPRESSIONS = Path(f"{PROJECT}.SemanticModel") / "definition" / "expressions.tmdl"
_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "_pbix_templates",
    Path(__file__).resolve().parents[3] / "pbix_templates",
)


@dataclass(frozen=True)
class Variant:
    name: str
    folder: str  # where it is rendered, inside the published folder
    expressions: str | None  # the variant's expressions.tmdl under pbix_templates/, or None for the project's own
    parameters: tuple[str, ...]
    summary: str


VARIANTS: dict[str, Variant] = {
    "files": Variant(
        "files",
        "Power BI",
        None,
        ("ResultsFolder",),
        "reads the Parquet files the engine publishes (one user, no server)",
    ),
    "sqlserver": Variant(
        "sqlserver",
        "Power BI (SQL Server)",
        "variants/sqlserver/expressions.tmdl",
        ("Server", "Database"),
        "reads the published views on the ICS's shared SQL Server",
    ),
}


@cache
def templates_dir() -> Path:
    """`pbix_templates/` in a checkout, `engine/_pbix_templates` in an installed wheel."""
    for candidate in _CANDIDATES:
        if (candidate / f"{PROJECT}.pbip").is_file():
            return candidate
    raise IcsBenchError("the Power BI templates are missing from this installation; reinstall ics-plics-benchmarking")


def variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise IcsBenchError(f"no Power BI variant called {name!r}; the variants are: {', '.join(VARIANTS)}") from None


def expressions_text(chosen: Variant) -> str:
    """The variant's expressions.tmdl as the templates hold it (parameters at their placeholder defaults)."""
    source = templates_dir() / (chosen.expressions or EXPRESSIONS)
    return source.read_text(encoding="utf-8")


def set_parameters(text: str, values: Mapping[str, str]) -> str:
    """`text` (an expressions.tmdl) with each named text parameter's default replaced, and nothing else changed."""
    for name, value in values.items():
        if any(ch in value for ch in "\r\n\t"):
            raise IcsBenchError(f"the Power BI parameter {name} cannot hold a line break or tab: {value!r}")
        literal = '"' + value.replace('"', '""') + '"'
        pattern = re.compile(rf'^(expression {re.escape(name)} = )"(?:[^"]|"")*"( meta \[IsParameterQuery=true)', re.M)
        text, replaced = pattern.subn(r"\g<1>" + literal.replace("\\", "\\\\") + r"\g<2>", text)
        if replaced != 1:
            raise IcsBenchError(f"the Power BI template has no text parameter called {name}")
    return text


def render(variant_name: str, published_folder: Path, parameters: Mapping[str, str]) -> Path:
    """Write the variant's Power BI Project into `published_folder/<variant folder>/`; returns its .pbip file.

    The project is assembled beside the target and swapped in whole, so a failure leaves the last rendered one.
    """
    chosen = variant(variant_name)
    missing = [p for p in chosen.parameters if not parameters.get(p)]
    if missing:
        raise IcsBenchError(f"the {chosen.name} Power BI report needs a value for {', '.join(missing)}")
    unknown = sorted(set(parameters) - set(chosen.parameters))
    if unknown:
        raise IcsBenchError(f"the {chosen.name} Power BI report has no parameter {', '.join(unknown)}")
    expressions = set_parameters(expressions_text(chosen), parameters)
    tmdl.parameter_defaults(expressions)  # still readable: a value that breaks the file fails here, not in Desktop
    target = published_folder / chosen.folder
    published_folder.mkdir(parents=True, exist_ok=True)
    staging = as_usual(Path(tempfile.mkdtemp(prefix=".render-", dir=published_folder)))
    try:
        source = templates_dir()
        shutil.copy2(source / f"{PROJECT}.pbip", staging / f"{PROJECT}.pbip")
        for item in (f"{PROJECT}.Report", f"{PROJECT}.SemanticModel"):
            shutil.copytree(source / item, staging / item, ignore=shutil.ignore_patterns(".pbi", "localSettings.json"))
        (staging / EXPRESSIONS).write_text(expressions, encoding="utf-8", newline="\n")
        _swap(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target / f"{PROJECT}.pbip"


def rendered_report(published_folder: Path, variant_name: str = "files") -> Path:
    """Where the variant's .pbip is (it may not exist yet): the files variant is in the current refresh's folder, beside
    the Parquet files it reads (engine.publish.files), the SQL Server one at the top of the published folder."""
    chosen = variant(variant_name)
    if chosen.name == "files":
        current = snapshots.read_pointer(published_folder)
        if current is not None:
            return snapshots.version_folder(published_folder, current) / str(current["power_bi"])
    return published_folder / chosen.folder / f"{PROJECT}.pbip"


def _swap(staging: Path, target: Path) -> None:
    retired = target.with_name(f".{target.name}.old")
    shutil.rmtree(retired, ignore_errors=True)
    try:
        if target.exists():
            target.rename(retired)
        staging.rename(target)
    except OSError as exc:
        if retired.exists() and not target.exists():
            retired.rename(target)
        raise IcsBenchError(
            f"could not replace {target}: {exc.strerror or exc}. Close the report in Power BI Desktop and try again"
        ) from exc
    shutil.rmtree(retired, ignore_errors=True)
