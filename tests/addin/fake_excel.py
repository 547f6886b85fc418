"""A fake Excel, at the level of its COM object model (what pywin32 hands xlwings), that records what is done to it.

Only what the add-in's code paths reach through xlwings is modelled, and modelled as Excel behaves: a sheet is a grid
of cell values, `Range.Value` reads a single cell as a scalar and a block as a tuple of row tuples (a date as
pywintypes' TimeType, an error value as its HRESULT int, a blank as None) and takes a block of exactly its shape;
`Workbooks(name)` fails for a book that is not open. Every call that changes Excel is appended to `Excel.calls`, so a
test can say that CalculateFull ran once and that no workbook was opened, closed or saved.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import PureWindowsPath
from typing import Any

from tests.addin.windows_xlwings import RANGE_IID, ComError, ComObject, PyIDispatch, TimeType, com_argument

DEFAULT_STARTUP_PATH = r"C:\Users\finance\AppData\Roaming\Microsoft\Excel\XLSTART"
NOT_FOUND = -2147352565  # DISP_E_BADINDEX: Workbooks("x") or Worksheets("x") when there is none
Cell = tuple[int, int]


def excel_date(day: dt.date) -> TimeType:
    """A date as a cell holds it when pywin32 reads it: TimeType, midnight, UTC."""
    return TimeType(day.year, day.month, day.day, tzinfo=dt.UTC)


def error_value(number: int) -> int:
    """An Excel error value (CVErr number, e.g. 2042 for #N/A) as pywin32 reads it: the HRESULT 0x800A0000 + number."""
    return -2146828288 + number


class Excel(ComObject):
    """Excel.Application."""

    _type_name_ = "Application"
    _properties_ = frozenset(
        {"StatusBar", "DisplayAlerts", "ScreenUpdating", "Calculation", "EnableEvents", "Interactive", "CutCopyMode"}
    )

    def __init__(self, hwnd: int = 4242, startup_path: str = DEFAULT_STARTUP_PATH) -> None:
        self._set(
            Hwnd=hwnd,
            Version="16.0",
            Name="Microsoft Excel",
            Path=r"C:\Program Files\Microsoft Office\root\Office16",
            StartupPath=startup_path,
            calls=[],
            status_bar_texts=[],
            input_box_answers=[],
            Workbooks=Workbooks(self),
            ActiveWindow=Window(self),
        )
        object.__setattr__(self, "StatusBar", False)
        object.__setattr__(self, "DisplayAlerts", True)
        object.__setattr__(self, "ScreenUpdating", True)

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "StatusBar":
            self.status_bar_texts.append(value)

    @property
    def Application(self) -> Excel:  # noqa: N802
        return self

    @property
    def ActiveWorkbook(self) -> Workbook | None:  # noqa: N802
        return self.Workbooks.active

    def Calculate(self) -> None:  # noqa: N802
        self.calls.append(("Calculate",))

    def CalculateFull(self) -> None:  # noqa: N802
        self.calls.append(("CalculateFull",))

    def InputBox(self, prompt: str, title: str = "", default: Any = "") -> Any:  # noqa: N802
        self.calls.append(("InputBox", prompt, title, default))
        return self.input_box_answers.pop(0) if self.input_box_answers else False

    def Quit(self) -> None:  # noqa: N802
        self.calls.append(("Quit",))

    def open_book(self, full_name: str, *sheet_names: str) -> Workbook:
        """A workbook the user has open (not a call the add-in makes: a test's setup)."""
        return self.Workbooks.adopt(Workbook(self, full_name, sheet_names or ("Sheet1",)))


class Window(ComObject):
    _type_name_ = "Window"
    _properties_ = frozenset({"SplitRow", "SplitColumn", "FreezePanes"})

    def __init__(self, app: Excel) -> None:
        object.__setattr__(self, "Application", app)
        object.__setattr__(self, "SplitRow", 0)
        object.__setattr__(self, "SplitColumn", 0)
        object.__setattr__(self, "FreezePanes", False)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        self.Application.calls.append(("ActiveWindow", name, value))


class _Collection(ComObject):
    """An Excel collection: `Count`, `Item` (or a call) by index from 1 or by name in any case, and iteration."""

    def _members(self) -> list[Any]:
        raise NotImplementedError

    @property
    def Count(self) -> int:  # noqa: N802
        return len(self._members())

    def __call__(self, key: str | int) -> Any:
        members = self._members()
        if isinstance(key, int):
            if 1 <= key <= len(members):
                return members[key - 1]
        else:
            for member in members:
                if member.Name.lower() == key.lower():
                    return member
        raise ComError(NOT_FOUND, "Invalid index.", None, None)

    Item = __call__

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._members()))


class Workbooks(_Collection):
    _type_name_ = "Workbooks"

    def __init__(self, app: Excel) -> None:
        object.__setattr__(self, "Application", app)
        object.__setattr__(self, "books", [])
        object.__setattr__(self, "active", None)

    def _members(self) -> list[Workbook]:
        return self.books

    def adopt(self, book: Workbook) -> Workbook:
        self.books.append(book)
        object.__setattr__(self, "active", book)
        return book

    def Open(self, *args: Any, **kwargs: Any) -> Workbook:  # noqa: N802
        self.Application.calls.append(("Workbooks.Open", args))
        raise ComError(-2146827284, "the fake Excel opens no files", None, None)

    def Add(self, *args: Any) -> Workbook:  # noqa: N802
        self.Application.calls.append(("Workbooks.Add", args))
        return self.adopt(Workbook(self.Application, f"Book{len(self.books) + 1}", ("Sheet1",)))


class Workbook(ComObject):
    _type_name_ = "Workbook"
    _properties_ = frozenset({"Saved"})

    def __init__(self, app: Excel, full_name: str, sheet_names: tuple[str, ...]) -> None:
        path = PureWindowsPath(full_name)
        object.__setattr__(self, "Application", app)
        object.__setattr__(self, "FullName", full_name)
        object.__setattr__(self, "Name", path.name)
        object.__setattr__(self, "Path", str(path.parent) if path.parent != PureWindowsPath() else "")
        object.__setattr__(self, "Worksheets", Worksheets(self))
        object.__setattr__(self, "Saved", True)
        for name in sheet_names:
            self.Worksheets.sheets.append(Worksheet(self, name))

    @property
    def Parent(self) -> Excel:  # noqa: N802
        return self.Application

    @property
    def Sheets(self) -> Worksheets:  # noqa: N802
        return self.Worksheets

    @property
    def ActiveSheet(self) -> Worksheet:  # noqa: N802
        return self.Worksheets.active or self.Worksheets.sheets[0]

    def Close(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        self.Application.calls.append(("Close", self.FullName))

    def Save(self) -> None:  # noqa: N802
        self.Application.calls.append(("Save", self.FullName))

    def SaveAs(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802
        self.Application.calls.append(("SaveAs", self.FullName, args))

    def Activate(self) -> None:  # noqa: N802
        self.Application.calls.append(("Activate", self.FullName))


class Worksheets(_Collection):
    _type_name_ = "Sheets"

    def __init__(self, book: Workbook) -> None:
        object.__setattr__(self, "Parent", book)
        object.__setattr__(self, "sheets", [])
        object.__setattr__(self, "active", None)

    def _members(self) -> list[Worksheet]:
        return self.sheets

    def Add(self, Before: Any = None, After: Any = None) -> Worksheet:  # noqa: N802, N803
        Before, After = com_argument(Before), com_argument(After)  # noqa: N806
        book = self.Parent
        sheet = Worksheet(book, f"Sheet{len(self.sheets) + 1}")
        if Before is not None:
            self.sheets.insert(self.sheets.index(Before), sheet)
        elif After is not None:
            self.sheets.insert(self.sheets.index(After) + 1, sheet)
        else:
            self.sheets.insert(self.sheets.index(book.ActiveSheet), sheet)
        object.__setattr__(self, "active", sheet)
        book.Application.calls.append(("Worksheets.Add", book.FullName))
        return sheet


class Worksheet(ComObject):
    _type_name_ = "Worksheet"
    _properties_ = frozenset({"Name", "Visible"})

    def __init__(self, book: Workbook, name: str) -> None:
        object.__setattr__(self, "Parent", book)
        object.__setattr__(self, "Name", name)
        object.__setattr__(self, "Visible", -1)
        object.__setattr__(self, "cells", {})
        object.__setattr__(self, "formats", {})
        object.__setattr__(self, "bold", set())
        object.__setattr__(self, "ListObjects", ListObjects(self))

    @property
    def Application(self) -> Excel:  # noqa: N802
        return self.Parent.Application

    @property
    def Index(self) -> int:  # noqa: N802
        return self.Parent.Worksheets.sheets.index(self) + 1

    def Range(self, first: Any, second: Any = None) -> Range:  # noqa: N802
        first, second = com_argument(first), com_argument(second)
        start = first if isinstance(first, Range) else self._parse(first)[0]
        if second is None:
            if isinstance(first, Range):
                return first
            top_left, bottom_right = self._parse(first)
            return Range(self, top_left, bottom_right)
        end = second if isinstance(second, Range) else self._parse(second)[1]
        corners = [c.top_left if isinstance(c, Range) else c for c in (start, end)]
        corners += [c.bottom_right for c in (start, end) if isinstance(c, Range)]
        rows = [r for r, _ in corners]
        columns = [c for _, c in corners]
        return Range(self, (min(rows), min(columns)), (max(rows), max(columns)))

    @property
    def Cells(self) -> Range:  # noqa: N802
        return Range(self, (1, 1), (1048576, 16384))

    def Move(self, Before: Any = None, After: Any = None) -> None:  # noqa: N802, N803
        sheets = self.Parent.Worksheets.sheets
        sheets.remove(self)
        anchor = com_argument(Before) if Before is not None else com_argument(After)
        sheets.insert(sheets.index(anchor) + (0 if Before is not None else 1), self)

    def Activate(self) -> None:  # noqa: N802
        object.__setattr__(self.Parent.Worksheets, "active", self)
        self.Application.calls.append(("Worksheet.Activate", self.Name))

    @staticmethod
    def _parse(address: str) -> tuple[Cell, Cell]:
        corners = []
        for part in address.replace("$", "").split(":"):
            match = re.fullmatch(r"([A-Z]+)(\d+)", part.upper())
            if match is None:
                raise ComError(-2146827284, f"not an address: {address}", None, None)
            column = 0
            for letter in match.group(1):
                column = column * 26 + ord(letter) - 64
            corners.append((int(match.group(2)), column))
        return corners[0], corners[-1]

    def value_at(self, row: int, column: int) -> Any:
        return self.cells.get((row, column))

    def block(self, first: Cell, last: Cell) -> list[list[Any]]:
        """The cell values of a block, row by row (a test's view of the sheet)."""
        return [[self.cells.get((r, c)) for c in range(first[1], last[1] + 1)] for r in range(first[0], last[0] + 1)]


def column_letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class Range(ComObject):
    """A block of one sheet: `top_left` and `bottom_right` are (row, column), counted from 1."""

    _type_name_ = "Range"
    _iid_ = RANGE_IID
    _properties_ = frozenset({"Value", "NumberFormat", "Formula", "Formula2"})

    def __init__(self, sheet: Worksheet, top_left: Cell, bottom_right: Cell) -> None:
        object.__setattr__(self, "Worksheet", sheet)
        object.__setattr__(self, "top_left", top_left)
        object.__setattr__(self, "bottom_right", bottom_right)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Range) and (other.Worksheet, other.top_left, other.bottom_right) == (
            self.Worksheet,
            self.top_left,
            self.bottom_right,
        )

    def __hash__(self) -> int:
        return hash((id(self.Worksheet), self.top_left, self.bottom_right))

    @property
    def Parent(self) -> Worksheet:  # noqa: N802
        return self.Worksheet

    @property
    def Application(self) -> Excel:  # noqa: N802
        return self.Worksheet.Application

    @property
    def Row(self) -> int:  # noqa: N802
        return self.top_left[0]

    @property
    def Column(self) -> int:  # noqa: N802
        return self.top_left[1]

    @property
    def shape(self) -> tuple[int, int]:
        return self.bottom_right[0] - self.top_left[0] + 1, self.bottom_right[1] - self.top_left[1] + 1

    @property
    def Rows(self) -> _Lines:  # noqa: N802
        return _Lines(self, by_row=True)

    @property
    def Columns(self) -> _Lines:  # noqa: N802
        return _Lines(self, by_row=False)

    @property
    def Count(self) -> int:  # noqa: N802
        rows, columns = self.shape
        return rows * columns

    @property
    def CountLarge(self) -> int:  # noqa: N802
        return self.Count

    @property
    def Address(self) -> str:  # noqa: N802
        return self.GetAddress()

    def GetAddress(self, RowAbsolute: bool = True, ColumnAbsolute: bool = True, *args: Any, **kwargs: Any) -> str:  # noqa: N802, N803
        def one(cell: Cell) -> str:
            column = ("$" if ColumnAbsolute else "") + column_letters(cell[1])
            return column + ("$" if RowAbsolute else "") + str(cell[0])

        if self.top_left == self.bottom_right:
            return one(self.top_left)
        return f"{one(self.top_left)}:{one(self.bottom_right)}"

    def _cells(self) -> Iterator[Cell]:
        for row in range(self.top_left[0], self.bottom_right[0] + 1):
            for column in range(self.top_left[1], self.bottom_right[1] + 1):
                yield row, column

    @property
    def Value(self) -> Any:  # noqa: N802
        rows, columns = self.shape
        cells = self.Worksheet.cells
        if rows == 1 and columns == 1:
            return cells.get(self.top_left)
        return tuple(
            tuple(cells.get((r, c)) for c in range(self.top_left[1], self.bottom_right[1] + 1))
            for r in range(self.top_left[0], self.bottom_right[0] + 1)
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "Value":
            self._write(value)
            return
        if name == "NumberFormat":
            for cell in self._cells():
                self.Worksheet.formats[cell] = value
            return
        super().__setattr__(name, value)

    def _write(self, value: Any) -> None:
        rows, columns = self.shape
        if not isinstance(value, list | tuple):
            block: list[list[Any]] = [[value] * columns for _ in range(rows)]
        else:
            block = [list(row) if isinstance(row, list | tuple) else [row] for row in value]
            if len(block) != rows or any(len(row) != columns for row in block):
                raise ComError(-2147352567, f"a {len(block)}-row block written to {self.Address}", None, None)
        for (r, c), cell in zip(self._cells(), (v for row in block for v in row), strict=True):
            if cell in (None, ""):
                self.Worksheet.cells.pop((r, c), None)
            else:
                self.Worksheet.cells[(r, c)] = cell
        self.Application.calls.append(("Value", self.Worksheet.Name, self.Address))

    def __call__(self, row: int, column: int) -> Range:
        cell = (self.top_left[0] + row - 1, self.top_left[1] + column - 1)
        return Range(self.Worksheet, cell, cell)

    Item = __call__

    def Resize(self, rows: int, columns: int) -> Range:  # noqa: N802
        return Range(self.Worksheet, self.top_left, (self.top_left[0] + rows - 1, self.top_left[1] + columns - 1))

    GetResize = Resize

    def Clear(self) -> None:  # noqa: N802
        self._clear(formats=True)

    def ClearContents(self) -> None:  # noqa: N802
        self._clear(formats=False)

    def _clear(self, *, formats: bool) -> None:
        sheet = self.Worksheet
        for store in (sheet.cells, *((sheet.formats,) if formats else ())):
            for cell in [c for c in store if self._holds(c)]:
                del store[cell]
        if formats:
            sheet.bold.difference_update({c for c in sheet.bold if self._holds(c)})
            sheet.ListObjects.tables[:] = [t for t in sheet.ListObjects.tables if not self._holds(t.top_left)]
        self.Application.calls.append(("Clear", sheet.Name, self.Address))

    def _holds(self, cell: Cell) -> bool:
        return (
            self.top_left[0] <= cell[0] <= self.bottom_right[0] and self.top_left[1] <= cell[1] <= self.bottom_right[1]
        )

    @property
    def Font(self) -> Font:  # noqa: N802
        return Font(self)

    @property
    def Formula(self) -> Any:  # noqa: N802
        return self.Value

    def Activate(self) -> None:  # noqa: N802
        self.Application.calls.append(("Range.Activate", self.Address))


class _Lines(ComObject):
    """Range.Rows or Range.Columns."""

    _type_name_ = "Range"

    def __init__(self, block: Range, by_row: bool) -> None:
        object.__setattr__(self, "block", block)
        object.__setattr__(self, "by_row", by_row)

    @property
    def Count(self) -> int:  # noqa: N802
        rows, columns = self.block.shape
        return rows if self.by_row else columns

    def AutoFit(self) -> None:  # noqa: N802
        self.block.Application.calls.append(("AutoFit", self.block.Address))


class Font(ComObject):
    _type_name_ = "Font"
    _properties_ = frozenset({"Bold"})

    def __init__(self, block: Range) -> None:
        object.__setattr__(self, "block", block)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "Bold":
            cells = set(self.block._cells())
            sheet = self.block.Worksheet
            sheet.bold.update(cells) if value else sheet.bold.difference_update(cells)


class ListObjects(ComObject):
    _type_name_ = "ListObjects"

    def __init__(self, sheet: Worksheet) -> None:
        object.__setattr__(self, "Parent", sheet)
        object.__setattr__(self, "tables", [])

    @property
    def Count(self) -> int:  # noqa: N802
        return len(self.tables)

    def __iter__(self) -> Iterator[Range]:
        return iter(list(self.tables))

    def Add(self, SourceType: Any = None, Source: Any = None, *args: Any, **kwargs: Any) -> ListObject:  # noqa: N802, N803
        Source = com_argument(Source)  # noqa: N806
        if Source is None:
            raise ComError(-2146827284, "a table needs its range", None, None)
        self.tables.append(Source)
        self.Parent.Application.calls.append(("ListObjects.Add", self.Parent.Name, Source.Address))
        return ListObject(Source)


class ListObject(ComObject):
    _type_name_ = "ListObject"
    _properties_ = frozenset({"Name", "TableStyle", "ShowAutoFilter", "ShowTotals", "ShowHeaders"})

    def __init__(self, block: Range) -> None:
        object.__setattr__(self, "Range", block)


def argument(value: Any) -> Any:
    """A range as VBA hands it to XLPy.CallUDF (an IDispatch pywin32 wraps); other values go as they are."""
    return PyIDispatch(value) if isinstance(value, ComObject) else value
