"""The add-in's VBA as text: wrappers generated from the worksheet-function registry, and a reader of VBA signatures.

Excel only sees a worksheet function that a VBA `Function` of the same name declares. Those wrappers are generated
from `addin.registry.WORKSHEET_FUNCTIONS` (filled by `import addin.functions`) into `addin/excel/vba/ICSFunctions.bas`,
in the shape xlwings' own generator (`xlwings.udfs.generate_vba_wrapper`) writes: each hands its arguments to the
Python function of the same name in `addin.udfs` through `XLPy.CallUDF`, the entry point of the xlwings runtime module
that `addin.build` embeds. The same module registers the function-wizard help with `Application.MacroOptions`.

A function that answers with a table (`spills`) first asks `CanSpill`: Excel 2021 and Microsoft 365 spill a table
from one cell, but Excel 2016 and 2019 show only its top-left cell (the first header), which would pass for an
answer. There the cell says instead which Excel is needed and how to enter the formula over a block of cells with
Ctrl+Shift+Enter (a legacy array formula, which those versions fill whole). Whether Excel has dynamic arrays is asked
the way xlwings asks it (`udfs.has_dynamic_array`: does `WorksheetFunction.Unique("dummy")` work?), late-bound
through an Object variable: an early-bound `Application.WorksheetFunction.Unique` would not compile in Excel 2016,
and with it the whole module.

The generated file is committed so that a reviewer sees what Excel will see; `python -m addin.vba --write` rewrites it
and `--check` (run by scripts/check) exits 1 when it is stale.

`procedures` reads `Sub`/`Function` signatures back out of VBA source: the build uses it to refuse a ribbon callback
with no `Sub` behind it, and the tests use it on the modules `olevba` reads out of the built add-in.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from addin.registry import WORKSHEET_FUNCTIONS, WorksheetFunction
from engine import generated_files

VBA_DIR = Path(__file__).resolve().parent / "excel" / "vba"
GENERATED_MODULE = "ICSFunctions"
GENERATED_PATH = VBA_DIR / f"{GENERATED_MODULE}.bas"
UDF_MODULE = "addin.udfs"
"""The Python module whose functions the wrappers call (xlwings imports it in the UDF server)."""
FUNCTION_CATEGORY = "ICS Benchmarking"
HELP_SUB = "RegisterFunctionHelp"
SPILL_CHECK = "CanSpill"
SPILL_MESSAGE = (
    "answers with a table, which Excel 2021 and Microsoft 365 spill from one cell. In Excel 2016 or 2019, select a "
    "block of cells big enough for the table, type the formula and press Ctrl+Shift+Enter."
)
"""What a spilling function's cell says, after its name, in an Excel that cannot spill."""

MAX_LINE_CHARS = 1023
"""The VBA editor's limit on one physical source line."""
MAX_HELP_CHARS = 255
"""Excel refuses a MacroOptions description or argument description longer than this."""

# The reserved identifiers of the VBA language specification (MS-VBAL 3.3.5.2: a Python name such as `to`, `end`,
# `date` or `len` would not compile as a parameter), and the names the wrappers use themselves.
_VBA_RESERVED = frozenset(
    """
    and as boolean byref byte byval call case cbool cbyte ccur cdate cdbl cdec cint clng clnglng clngptr const csng
    cstr currency cvar date decimal declare defbool defbyte defcur defdate defdbl defdec defint deflng deflnglng
    deflngptr defobj defsng defstr defvar dim do double each else elseif empty end endif enum eqv erase error event
    exit false for friend function get global gosub goto if imp implements in integer is let lib like long longlong
    longptr loop lset me mod new next not nothing null object on option optional or paramarray preserve private
    property public raiseevent redim rem resume return rset select set single static step stop string sub then to
    true type typeof until variant wend while with withevents xor close input lock open print put seek unlock write
    any shared spc tab addressof abs cverr debug doevents fix int len lenb pset scale sgn array circle inputb lbound
    ubound attribute begin version
    argsarray k xlpy application canspill spillneeded
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


@dataclass(frozen=True)
class VbaParameter:
    """One parameter of a VBA procedure as declared."""

    name: str
    optional: bool
    param_array: bool


@dataclass(frozen=True)
class Procedure:
    """A `Sub`, `Function` or `Property` declared in a VBA module (`Declare ... Lib` lines are not procedures)."""

    module: str
    kind: str
    name: str
    scope: str
    parameters: tuple[VbaParameter, ...]

    @property
    def arity(self) -> int:
        """Number of declared parameters (a ParamArray counts once), as `WorksheetFunction.arity` counts them."""
        return len(self.parameters)


def _vba_string(text: str) -> str:
    """A VBA string literal: double quotes doubled; help texts are one line of at most 255 characters."""
    return '"' + text.replace('"', '""') + '"'


def _one_line(text: str, what: str) -> str:
    line = " ".join(text.split())
    if len(line) > MAX_HELP_CHARS:
        raise ValueError(f"{what}: help text has {len(line)} characters; the function wizard takes {MAX_HELP_CHARS}")
    try:
        line.encode("cp1252")
    except UnicodeEncodeError as error:
        raise ValueError(f"{what}: help text has a character VBA source cannot hold (Windows-1252): {error}") from None
    return line


def _check_names(function: WorksheetFunction) -> None:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,254}", function.name):
        raise ValueError(f"{function.name}: not a VBA function name")
    seen: set[str] = set()
    for index, parameter in enumerate(function.parameters):
        lowered = parameter.name.lower()
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", parameter.name) or lowered in _VBA_RESERVED:
            raise ValueError(f"{function.name}: argument name {parameter.name!r} is not allowed in VBA; rename it")
        if lowered in seen or lowered == function.name.lower():
            raise ValueError(f"{function.name}: argument {parameter.name!r} clashes with another name in VBA")
        seen.add(lowered)
        if parameter.repeating and index != len(function.parameters) - 1:
            raise ValueError(f"{function.name}: only the last argument may repeat")
    if any(p.repeating for p in function.parameters) and any(
        p.optional and not p.repeating for p in function.parameters
    ):
        raise ValueError(f"{function.name}: VBA cannot combine Optional arguments with a repeating one (ParamArray)")


def _wrapper(function: WorksheetFunction) -> list[str]:
    _check_names(function)
    name = function.name
    declared = []
    for parameter in function.parameters:
        if parameter.repeating:
            declared.append(f"ParamArray {parameter.name}()")
        elif parameter.optional:
            declared.append(f"Optional {parameter.name}")
        else:
            declared.append(parameter.name)
    fixed = [p.name for p in function.parameters if not p.repeating]
    repeating = [p.name for p in function.parameters if p.repeating]
    call = f'XLPy.CallUDF("{UDF_MODULE}", "{name}", {{args}}, ThisWorkbook, Application.Caller)'
    lines = [
        f"Function {name}({', '.join(declared)})",
        "    If TypeOf Application.Caller Is Range Then On Error GoTo failed",
    ]
    if function.spills:
        lines += [
            f"    If Not {SPILL_CHECK}() Then",
            f'        {name} = "{name} " & SPILL_NEEDED',
            "        Exit Function",
            "    End If",
        ]
    if repeating:
        rest = repeating[0]
        lines += [
            "    Dim argsArray() As Variant, k As Long",
            f"    argsArray = Array({', '.join(fixed)})",
            f"    If UBound({rest}) >= LBound({rest}) Then",
            f"        ReDim Preserve argsArray(0 To UBound({rest}) - LBound({rest}) + {len(fixed)})",
            f"        For k = LBound({rest}) To UBound({rest})",
            f"            argsArray({len(fixed)} + k - LBound({rest})) = {rest}(k)",
            "        Next k",
            "    End If",
            f"    {name} = {call.format(args='argsArray')}",
        ]
    else:
        lines += [f"    {name} = {call.format(args='Array(' + ', '.join(fixed) + ')')}"]
    lines += ["    Exit Function", "failed:", f"    {name} = Err.Description", "End Function", ""]
    return lines


def _help_registration(functions: Iterable[WorksheetFunction]) -> list[str]:
    lines = [
        f"Public Sub {HELP_SUB}()",
        "    ' Called from the ribbon's onLoad. Excel can refuse MacroOptions (e.g. while another dialog is open); the",
        "    ' functions work without their help, so errors are ignored.",
        "    On Error Resume Next",
    ]
    for function in functions:
        statement = [
            f"    Application.MacroOptions Macro:={_vba_string(function.name)}, "
            f"Category:={_vba_string(FUNCTION_CATEGORY)}, _",
            f"        Description:={_vba_string(_one_line(function.help, function.name))}",
        ]
        if function.parameters:
            statement[-1] += ", _"
            statement.append("        ArgumentDescriptions:=Array( _")
            helps = [_one_line(p.help, f"{function.name}({p.name})") for p in function.parameters]
            statement += [f"            {_vba_string(text)}, _" for text in helps[:-1]]
            statement.append(f"            {_vba_string(helps[-1])})")
        lines += statement
    lines += [
        "    ThisWorkbook.Saved = True",
        "    On Error GoTo 0",
        "End Sub",
        "",
    ]
    return lines


def _spill_check() -> list[str]:
    return [
        f"Private Const SPILL_NEEDED As String = {_vba_string(_one_line(SPILL_MESSAGE, 'SPILL_MESSAGE'))}",
        "",
        f"Private Function {SPILL_CHECK}() As Boolean",
        "    ' True when the calling cell can show a whole table: in Excel with dynamic arrays (2021, 365), in a",
        "    ' block of cells holding one array formula (Ctrl+Shift+Enter), and outside a cell (called from VBA).",
        "    Static known As Boolean, dynamic As Boolean",
        "    Dim sheetFunctions As Object, probe As Variant",
        f"    {SPILL_CHECK} = True",
        "    If Not TypeOf Application.Caller Is Range Then Exit Function",
        "    If Application.Caller.Cells.CountLarge > 1 Then Exit Function",
        "    If Not known Then",
        "        Set sheetFunctions = Application.WorksheetFunction",
        "        On Error Resume Next",
        '        probe = sheetFunctions.Unique("dummy")',
        "        dynamic = (Err.Number = 0)",
        "        On Error GoTo 0",
        "        known = True",
        "    End If",
        f"    {SPILL_CHECK} = dynamic",
        "End Function",
        "",
    ]


def wrapper_module(functions: Mapping[str, WorksheetFunction]) -> str:
    """The text of ICSFunctions.bas for these worksheet functions (in name order, so the output is stable)."""
    ordered = [functions[name] for name in sorted(functions)]
    lines = [
        f'Attribute VB_Name = "{GENERATED_MODULE}"',
        "' Generated by `python -m addin.vba --write` from the worksheet functions registered in addin/registry.py.",
        "' Do not edit by hand. Each wrapper hands its arguments to the Python function of the same name in",
        f"' {UDF_MODULE} through the xlwings runtime (module xlwings); {HELP_SUB} gives the function wizard",
        "' the help texts.",
        "Option Explicit",
        "",
    ]
    if any(function.spills for function in ordered):
        lines += _spill_check()
    for function in ordered:
        lines += _wrapper(function)
    lines += _help_registration(ordered)
    for line in lines:
        if len(line) > MAX_LINE_CHARS:
            raise ValueError(f"a generated VBA line is longer than VBA allows ({MAX_LINE_CHARS}): {line[:80]}...")
    return "\n".join(lines)


def registered_functions() -> dict[str, WorksheetFunction]:
    """The worksheet functions, after importing the module that registers them."""
    importlib.import_module("addin.functions")
    return dict(WORKSHEET_FUNCTIONS)


def module_name(source: str) -> str:
    """The module name a VBA source file declares in its `Attribute VB_Name` line."""
    match = re.search(r'^Attribute VB_Name = "([^"]+)"', source, re.MULTILINE)
    if match is None:
        raise ValueError("VBA source without an `Attribute VB_Name` line")
    return match.group(1)


_PROCEDURE = re.compile(
    r"^(?:(?P<scope>Public|Private|Friend)\s+)?(?:Static\s+)?"
    r"(?P<kind>Sub|Function|Property\s+(?:Get|Let|Set))\s+(?P<name>[A-Za-z]\w*)\s*\(",
    re.IGNORECASE,
)


def _logical_lines(source: str) -> list[str]:
    """Source lines with ` _` continuations joined."""
    lines: list[str] = []
    pending = ""
    for line in source.splitlines():
        if line.endswith(" _"):
            pending += line[:-1]
            continue
        lines.append(pending + line)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def _split_parameters(text: str) -> list[str]:
    """Split a parameter list at top-level commas (defaults may hold strings and calls)."""
    parts, depth, quoted, current = [], 0, False, ""
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(current)
            current = ""
            continue
        current += char
    if current.strip():
        parts.append(current)
    return parts


def _parameter(text: str) -> VbaParameter:
    words = text.split()
    optional = param_array = False
    while words and words[0].lower() in {"optional", "byval", "byref", "paramarray"}:
        optional |= words[0].lower() == "optional"
        param_array |= words[0].lower() == "paramarray"
        words.pop(0)
    if not words:
        raise ValueError(f"cannot read VBA parameter {text!r}")
    name = re.match(r"[A-Za-z]\w*", words[0])
    if name is None:
        raise ValueError(f"cannot read VBA parameter {text!r}")
    return VbaParameter(name.group(0), optional or param_array, param_array)


def procedures(source: str) -> list[Procedure]:
    """Every Sub, Function and Property a VBA module declares, in source order."""
    module = module_name(source)
    found = []
    for line in _logical_lines(source):
        stripped = line.strip()
        match = _PROCEDURE.match(stripped)
        if match is None:
            continue
        depth, quoted, end = 1, False, None
        for index in range(match.end(), len(stripped)):
            char = stripped[index]
            if char == '"':
                quoted = not quoted
            elif not quoted and char == "(":
                depth += 1
            elif not quoted and char == ")":
                depth -= 1
                if depth == 0:
                    end = index
                    break
        if end is None:
            raise ValueError(f"{module}: unterminated parameter list in {stripped!r}")
        parameters = tuple(_parameter(p) for p in _split_parameters(stripped[match.end() : end]))
        kind = " ".join(match.group("kind").split()).title()
        found.append(Procedure(module, kind, match.group("name"), (match.group("scope") or "").title(), parameters))
    return found


def stale() -> bool:
    """Whether the committed ICSFunctions.bas differs from what the registry generates."""
    return bool(generated_files.stale({GENERATED_PATH: wrapper_module(registered_functions())}))


def main(argv: Sequence[str] | None = None) -> int:
    return generated_files.main(
        "python -m addin.vba",
        f"{GENERATED_PATH.name}, the VBA wrappers of the worksheet functions",
        lambda: {GENERATED_PATH: wrapper_module(registered_functions())},
        argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())
