"""The catalogue of worksheet functions: what Excel sees (name, arguments, help) read off the Python functions.

A worksheet function is a plain Python function taking Excel-shaped values. `@worksheet_function` records it here
with its help text; the VBA wrappers, the function-wizard help and the xlwings layer are all generated from this
catalogue, so a function's name and arity can only be declared once.

On Windows xlwings reads each type hint as a converter for the value Excel sends (`object` is not one, and a cell
that says `AttributeError` is all the user would see), so arguments must be hinted `typing.Any` (or not at all) and
the answer `float`, `str` or `list[list[Any]]`: registering anything else fails at import, with the reason.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
ANSWER_HINTS = (float, str, list[list[Any]])
SPILL_NOTE = "(spills in Excel 2021 or 365)"
"""What the help of a function answering with a table says (the function wizard shows it): Excel 2016 and 2019 show
a spilled table's top-left cell only, and the cell itself then says how to enter the formula there (addin.vba)."""
_ANSWERS = "float, str or list[list[Any]]"


@dataclass(frozen=True)
class Parameter:
    """One argument as Excel shows it in the function wizard."""

    name: str
    help: str
    optional: bool
    repeating: bool = False


@dataclass(frozen=True)
class WorksheetFunction:
    """One `=ICS_...` function: its Python implementation and what the function wizard says about it."""

    name: str
    function: Callable[..., Any]
    help: str
    parameters: tuple[Parameter, ...]
    spills: bool

    @property
    def arity(self) -> int:
        """Number of declared arguments (a repeating argument counts once)."""
        return len(self.parameters)


WORKSHEET_FUNCTIONS: dict[str, WorksheetFunction] = {}


def worksheet_function(help: str, *, spills: bool = False, **argument_help: str) -> Callable[[F], F]:
    """Register a Python function as the worksheet function of the same name, with help for the wizard.

    Every parameter needs a help text; a parameter with a default is optional in Excel; `*filters` repeats.
    """

    def register(function: F) -> F:
        name = function.__name__
        if not name.startswith("ICS_") or name != name.upper():
            raise ValueError(f"{name}: worksheet functions are named ICS_ in capitals")
        if name in WORKSHEET_FUNCTIONS:
            raise ValueError(f"{name}: registered twice")
        _check_hints(name, function)
        if spills and SPILL_NOTE not in help:
            raise ValueError(f"{name}: the help of a function that spills says so: {SPILL_NOTE}")
        parameters = []
        for parameter in inspect.signature(function).parameters.values():
            if parameter.name not in argument_help:
                raise ValueError(f"{name}: no help text for argument {parameter.name}")
            repeating = parameter.kind is inspect.Parameter.VAR_POSITIONAL
            parameters.append(
                Parameter(
                    name=parameter.name,
                    help=argument_help[parameter.name],
                    optional=repeating or parameter.default is not inspect.Parameter.empty,
                    repeating=repeating,
                )
            )
        unknown = set(argument_help) - {p.name for p in parameters}
        if unknown:
            raise ValueError(f"{name}: help for arguments it does not have: {sorted(unknown)}")
        WORKSHEET_FUNCTIONS[name] = WorksheetFunction(name, function, help, tuple(parameters), spills)
        return function

    return register


def _check_hints(name: str, function: Callable[..., Any]) -> None:
    """Arguments hinted Any (or not at all) and an answer xlwings writes as it is: see the module's docstring."""
    hints = typing.get_type_hints(function)
    for argument, hint in hints.items():
        if argument == "return":
            if hint not in ANSWER_HINTS:
                raise ValueError(f"{name}: answers {hint!r}; a worksheet function answers {_ANSWERS}")
        elif hint is not Any:
            raise ValueError(
                f"{name}: argument {argument} is hinted {hint!r}; hint it typing.Any (xlwings turns a hint into a "
                "converter of the value Excel sends, and Any is the one that passes every value through)"
            )
