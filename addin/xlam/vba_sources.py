"""The VBA modules of the add-in's project, in a fixed order.

- the two document modules every Excel VBA project has (ThisWorkbook, Sheet1), empty;
- `xlwings_custom_addin.bas` taken from the INSTALLED xlwings package (its version must be the one pyproject pins,
  because the module names the matching xlwings DLL), with its `PROJECT_NAME` set to ours so it reads
  `%USERPROFILE%\\.icsbench\\icsbench.conf`;
- every `addin/excel/vba/*.bas` (hand-written callbacks, and `ICSFunctions.bas`, generated from the worksheet-function
  registry by `addin.vba`).
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from addin import vba
from addin.xlam import BuildError
from addin.xlam.ovba import CODEPAGE, Module

CONFIG_NAME = "icsbench"
"""xlwings' PROJECT_NAME: the add-in reads `%USERPROFILE%\\.icsbench\\icsbench.conf` (see addin.install)."""
XLWINGS_MODULE_FILE = "xlwings_custom_addin.bas"

# Document modules: their VB_Base names the Excel object type (Workbook, Worksheet) the module belongs to.
_DOCUMENT_BASES = {
    "ThisWorkbook": "0{00020819-0000-0000-C000-000000000046}",
    "Sheet1": "0{00020820-0000-0000-C000-000000000046}",
}


def pinned_xlwings_version() -> str:
    """The xlwings version pyproject pins (`xlwings==X` in the `excel` extra), read from the installed metadata."""
    try:
        requirements = metadata.requires("ics-plics-benchmarking") or []
    except metadata.PackageNotFoundError:
        raise BuildError("the project is not installed: pip install -e '.[excel]' (the pin is read from it)") from None
    for requirement in requirements:
        match = re.match(r"xlwings\s*==\s*([\w.]+)", requirement)
        if match:
            return match.group(1)
    raise BuildError("pyproject.toml does not pin xlwings (`xlwings==X.Y.Z`): the add-in's VBA names the DLL version")


def xlwings_runtime_source() -> str:
    """xlwings' custom add-in module from the installed package, checked against the pin, with our PROJECT_NAME."""
    pinned = pinned_xlwings_version()
    try:
        import xlwings
    except ImportError:
        raise BuildError(f"xlwings is not installed: pip install 'xlwings=={pinned}'") from None
    if xlwings.__version__ != pinned:
        raise BuildError(
            f"xlwings {xlwings.__version__} is installed but {pinned} is pinned: pip install 'xlwings=={pinned}'"
        )
    path = Path(xlwings.__file__).parent / XLWINGS_MODULE_FILE
    if not path.exists():
        raise BuildError(f"{path} is missing from the installed xlwings {pinned}")
    source = path.read_text(encoding="ascii")
    for marker in (f"'Version: {pinned}", f'"xlwings64-{pinned}.dll"', f'XLWINGS_VERSION As String = "{pinned}"'):
        if marker not in source:
            raise BuildError(f"{path} does not say {marker}: it is not the module of xlwings {pinned}")
    project_line = re.compile(r'^Public Const PROJECT_NAME As String = "[^"]*"', re.MULTILINE)
    if len(project_line.findall(source)) != 1:
        raise BuildError(f"{path}: expected one `Public Const PROJECT_NAME` line to set our project name")
    return project_line.sub(f'Public Const PROJECT_NAME As String = "{CONFIG_NAME}"', source)


def _crlf(source: str) -> str:
    return "".join(line + "\r\n" for line in source.splitlines())


def _document_module(name: str) -> Module:
    attributes = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{_DOCUMENT_BASES[name]}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return Module(name, _crlf("\n".join(attributes)), document=True)


def vba_modules(vba_dir: Path = vba.VBA_DIR) -> list[Module]:
    """Every module of the add-in's VBA project, in a fixed order."""
    modules = [_document_module(name) for name in _DOCUMENT_BASES]
    modules.append(Module("xlwings", _crlf(xlwings_runtime_source())))
    for path in sorted(vba_dir.glob("*.bas")):
        source = path.read_text(encoding="utf-8")
        name = vba.module_name(source)
        if name != path.stem:
            raise BuildError(f"{path}: declares module {name!r}; name the file {name}.bas")
        modules.append(Module(name, _crlf(source)))
    names = [m.name.lower() for m in modules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise BuildError(f"two VBA modules share a name: {duplicates}")
    for module in modules:
        try:
            module.source.encode(CODEPAGE)
        except UnicodeEncodeError as error:
            raise BuildError(f"module {module.name}: VBA source must be Windows-1252 text: {error}") from None
    return modules
