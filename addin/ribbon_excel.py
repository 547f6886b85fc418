"""The ribbon on Windows: the Workbook interface over xlwings, and the entry point the VBA callback runs.

The only module that drives Excel itself; everything it does is a one-line call into xlwings. The VBA callback runs
`on_action` through xlwings' `RunPython`, in a Python process of its own started for the click, which finds the
calling workbook with `xw.Book.caller()`; tests/addin/test_ribbon_contract.py runs that path with xlwings' own Windows
code and a fake Excel.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlwings as xw

from addin.functions import inert
from addin.ribbon import SheetColumn, on_button


class ExcelWorkbook:
    """The calling workbook, through xlwings."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.app = book.app

    def status(self, text: str | None) -> None:
        self.app.status_bar = text if text else False

    def write_sheet(
        self, name: str, title: str, notes: Sequence[str], columns: Sequence[SheetColumn], rows: Sequence[Sequence[Any]]
    ) -> None:
        names = [s.name for s in self.book.sheets]
        sheet = self.book.sheets[name] if name in names else self.book.sheets.add(name, after=self.book.sheets[-1])
        sheet.clear()
        sheet["A1"].value = title
        sheet["A1"].font.bold = True
        for offset, note in enumerate(notes, start=2):
            sheet[f"A{offset}"].value = inert(note)
        first = len(notes) + 3
        last = first + max(len(rows), 1)
        sheet.range((first, 1)).value = [[c.title for c in columns], *[[inert(v) for v in row] for row in rows]]
        for index, column in enumerate(columns, start=1):
            if column.number_format:
                sheet.range((first + 1, index), (last, index)).number_format = column.number_format
        # The extent is known; expand("table") would read the sheet back and stop at a blank cell in column A.
        sheet.tables.add(sheet.range((first, 1), (last, len(columns))))
        sheet.range((first, 1), (first, len(columns))).columns.autofit()
        sheet.activate()
        self.app.api.ActiveWindow.SplitRow = first
        self.app.api.ActiveWindow.FreezePanes = True

    def choose(self, prompt: str, choices: Sequence[str], default: str) -> str | None:
        answer = self.app.api.InputBox(f"{prompt}\n{', '.join(choices)}", "ICS Benchmarking", default)
        if answer is False or answer in ("", None):
            return None
        picked = str(answer).strip().upper()
        return picked if picked in choices else None

    def message(self, text: str) -> None:
        self.app.alert(text, title="ICS Benchmarking")

    def recalculate(self) -> None:
        self.app.api.CalculateFull()

    def open_file(self, path: Path) -> None:
        os.startfile(path)  # type: ignore[attr-defined]  # Windows only: opens with the associated program


def on_action(button_id: str) -> None:
    """Called by the ribbon's VBA callback through RunPython with the id of the button pressed."""
    on_button(button_id, ExcelWorkbook(xw.Book.caller()))
