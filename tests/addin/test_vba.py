"""The VBA wrappers of the worksheet functions: generated from the registry, current, in the shape xlwings writes."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from addin import vba
from addin.registry import Parameter, WorksheetFunction


def _function(
    name: str, *parameters: Parameter, help: str = "Does a thing.", spills: bool = False
) -> WorksheetFunction:
    return WorksheetFunction(name, lambda *args: None, help, parameters, spills=spills)


def _required(name: str) -> Parameter:
    return Parameter(name, f"help for {name}", optional=False)


def _optional(name: str) -> Parameter:
    return Parameter(name, f"help for {name}", optional=True)


def _repeating(name: str) -> Parameter:
    return Parameter(name, f"help for {name}", optional=True, repeating=True)


def test_the_committed_module_is_what_the_registry_generates() -> None:
    committed = vba.GENERATED_PATH.read_text(encoding="utf-8")
    assert committed == vba.wrapper_module(vba.registered_functions()), "run `python -m addin.vba --write`"


def test_every_registered_function_has_a_wrapper_of_its_name_and_arity() -> None:
    functions = vba.registered_functions()
    assert functions, "addin.functions registered no worksheet function"
    declared = {p.name: p for p in vba.procedures(vba.GENERATED_PATH.read_text(encoding="utf-8"))}
    wrappers = {name: p for name, p in declared.items() if p.kind == "Function" and p.scope != "Private"}
    assert set(wrappers) == set(functions)
    assert declared[vba.SPILL_CHECK].scope == "Private"  # a Private function is no worksheet function
    for name, function in functions.items():
        wrapper = wrappers[name]
        python_parameters = list(inspect.signature(function.function).parameters.values())
        assert wrapper.arity == len(python_parameters) == function.arity, name
        for vba_parameter, python_parameter in zip(wrapper.parameters, python_parameters, strict=True):
            assert vba_parameter.name == python_parameter.name, name
            repeating = python_parameter.kind is inspect.Parameter.VAR_POSITIONAL
            assert vba_parameter.param_array == repeating, (name, vba_parameter)
            assert vba_parameter.optional == (repeating or python_parameter.default is not inspect.Parameter.empty)
    assert declared[vba.HELP_SUB].kind == "Sub" and declared[vba.HELP_SUB].arity == 0


def test_a_wrapper_is_the_xlwings_shape_calling_the_python_function_of_its_name() -> None:
    text = vba.wrapper_module({"ICS_DEMO": _function("ICS_DEMO", _required("provider"), _optional("year"))})
    assert (
        "Function ICS_DEMO(provider, Optional year)\n"
        "    If TypeOf Application.Caller Is Range Then On Error GoTo failed\n"
        '    ICS_DEMO = XLPy.CallUDF("addin.udfs", "ICS_DEMO", Array(provider, year), ThisWorkbook, '
        "Application.Caller)\n"
        "    Exit Function\n"
        "failed:\n"
        "    ICS_DEMO = Err.Description\n"
        "End Function\n"
    ) in text
    assert text.startswith('Attribute VB_Name = "ICSFunctions"\n')
    assert "Option Explicit" in text


def test_a_repeating_argument_becomes_a_param_array_appended_to_the_arguments() -> None:
    text = vba.wrapper_module({"ICS_ROWS": _function("ICS_ROWS", _required("name"), _repeating("filters"))})
    (wrapper,) = [p for p in vba.procedures(text) if p.name == "ICS_ROWS"]
    assert [(p.name, p.optional, p.param_array) for p in wrapper.parameters] == [
        ("name", False, False),
        ("filters", True, True),
    ]
    assert "Function ICS_ROWS(name, ParamArray filters())" in text
    assert "argsArray = Array(name)" in text
    assert "ReDim Preserve argsArray(0 To UBound(filters) - LBound(filters) + 1)" in text
    assert "argsArray(1 + k - LBound(filters)) = filters(k)" in text
    assert 'ICS_ROWS = XLPy.CallUDF("addin.udfs", "ICS_ROWS", argsArray, ThisWorkbook, Application.Caller)' in text


def test_a_table_in_excel_2016_or_2019_says_which_excel_it_needs_instead_of_showing_one_cell() -> None:
    text = vba.wrapper_module(
        {
            "ICS_ROWS": _function("ICS_ROWS", _required("provider"), spills=True),
            "ICS_ONE": _function("ICS_ONE", _required("provider")),
        }
    )
    assert (
        "Function ICS_ROWS(provider)\n"
        "    If TypeOf Application.Caller Is Range Then On Error GoTo failed\n"
        f"    If Not {vba.SPILL_CHECK}() Then\n"
        '        ICS_ROWS = "ICS_ROWS " & SPILL_NEEDED\n'
        "        Exit Function\n"
        "    End If\n"
        '    ICS_ROWS = XLPy.CallUDF("addin.udfs", "ICS_ROWS", Array(provider), ThisWorkbook, Application.Caller)\n'
    ) in text
    one = text.split("Function ICS_ONE(")[1].split("End Function")[0]
    assert vba.SPILL_CHECK not in one
    assert f'Private Const SPILL_NEEDED As String = "{vba.SPILL_MESSAGE}"' in text
    assert "Ctrl+Shift+Enter" in vba.SPILL_MESSAGE and "2016 or 2019" in vba.SPILL_MESSAGE
    check = text.split(f"Private Function {vba.SPILL_CHECK}() As Boolean")[1].split("End Function")[0]
    # Late-bound: Excel 2016's type library has no Unique, and an early-bound call would not compile there.
    assert "Dim sheetFunctions As Object" in check and 'probe = sheetFunctions.Unique("dummy")' in check
    assert "WorksheetFunction.Unique" not in text
    assert "If Application.Caller.Cells.CountLarge > 1 Then Exit Function" in check  # a Ctrl+Shift+Enter block
    assert vba.SPILL_CHECK not in vba.wrapper_module({"ICS_ONE": _function("ICS_ONE", _required("provider"))})


def test_the_help_of_a_function_that_spills_says_which_excel_it_needs() -> None:
    from addin.registry import SPILL_NOTE, worksheet_function

    functions = vba.registered_functions()
    assert [n for n, f in functions.items() if f.spills and SPILL_NOTE not in f.help] == []
    assert sum(f.spills for f in functions.values()) == 4
    with pytest.raises(ValueError, match=re.escape(SPILL_NOTE)):

        @worksheet_function("A table (spills).", spills=True)
        def ICS_SPILLS() -> list[list[Any]]:  # noqa: N802
            return [[0.0]]


def test_help_texts_are_registered_for_the_function_wizard() -> None:
    function = _function("ICS_DEMO", _required("provider"), _optional("year"), help='Cost of "this"\n  in pounds.')
    text = vba.wrapper_module({"ICS_DEMO": function})
    assert (
        '    Application.MacroOptions Macro:="ICS_DEMO", Category:="ICS Benchmarking", _\n'
        '        Description:="Cost of ""this"" in pounds.", _\n'
        "        ArgumentDescriptions:=Array( _\n"
        '            "help for provider", _\n'
        '            "help for year")\n'
    ) in text
    assert "On Error Resume Next" in text.split(f"Sub {vba.HELP_SUB}()")[1]


def _macro_options(source: str) -> dict[str, list[str]]:
    """Macro name -> the string arguments after it (category, description, argument descriptions), from VBA."""
    found = {}
    for line in vba._logical_lines(source):
        if line.strip().startswith("Application.MacroOptions"):
            strings = [s.replace('""', '"') for s in re.findall(r'"((?:[^"]|"")*)"', line)]
            found[strings[0]] = strings[1:]
    return found


def test_every_registered_function_gets_its_help_registered() -> None:
    registered = _macro_options(vba.GENERATED_PATH.read_text(encoding="utf-8"))
    functions = vba.registered_functions()
    assert set(registered) == set(functions)
    for name, function in functions.items():
        category, description, *arguments = registered[name]
        assert category == vba.FUNCTION_CATEGORY
        assert description == " ".join(function.help.split())
        assert arguments == [" ".join(p.help.split()) for p in function.parameters], name


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (_function("ICS_X", _optional("pod"), _repeating("filters")), "cannot combine Optional"),
        (_function("ICS_X", _required("to")), "not allowed in VBA"),
        (_function("ICS_X", _required("Date")), "not allowed in VBA"),
        (_function("ICS_X", _required("pod"), _required("POD")), "clashes"),
        (_function("ICS_X", _required("k")), "not allowed in VBA"),
        (_function("ICS_X", help="x" * 256), "255"),
        (_function("ICS_X", help="cost \u2192 pounds"), "Windows-1252"),
        (_function("ICS_X", *[_optional(f"argument_number_{i}") for i in range(60)]), "longer than VBA allows"),
    ],
)
def test_a_function_vba_cannot_declare_is_refused_with_the_reason(function: WorksheetFunction, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        vba.wrapper_module({function.name: function})


def test_procedures_reads_signatures_as_vba_declares_them() -> None:
    source = "\n".join(
        [
            'Attribute VB_Name = "Demo"',
            'Private Declare PtrSafe Function system Lib "libc.dylib" (ByVal Command As String) As Long',
            "Public Sub OnAction(control As IRibbonControl)",
            "End Sub",
            "Function Two(ByVal a As String, _",
            '        Optional ByRef b As String = "x, (y)")',
            "End Function",
            "Private Function Rest(first, ParamArray rest()) As Variant",
            "End Function",
            "' Sub Commented(a)",
            "Property Get Value() As Long",
            "End Property",
        ]
    )
    found = {p.name: p for p in vba.procedures(source)}
    assert set(found) == {"OnAction", "Two", "Rest", "Value"}
    assert (found["OnAction"].kind, found["OnAction"].scope, found["OnAction"].arity) == ("Sub", "Public", 1)
    assert [(p.name, p.optional) for p in found["Two"].parameters] == [("a", False), ("b", True)]
    assert found["Rest"].scope == "Private" and found["Rest"].parameters[1].param_array
    assert found["Value"].kind == "Property Get" and found["Value"].arity == 0
    assert all(p.module == "Demo" for p in found.values())


def test_check_fails_on_a_stale_module_and_write_fixes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    committed = vba.GENERATED_PATH.read_text(encoding="utf-8")
    copy = tmp_path / "addin" / "excel" / "vba" / "ICSFunctions.bas"
    copy.parent.mkdir(parents=True)
    copy.write_text(committed.replace("Optional year", "year", 1))
    monkeypatch.setattr(vba, "VBA_DIR", copy.parent)
    monkeypatch.setattr(vba, "GENERATED_PATH", copy)
    assert vba.main(["--check"]) == 1
    assert vba.main(["--write"]) == 0
    assert vba.main(["--check"]) == 0
    assert copy.read_text(encoding="utf-8") == committed
