"""The pinned xlwings' own Windows code, loaded on Linux with pywin32 and the Windows DLLs stood in for.

On Windows, `import xlwings` loads `xlwings._xlwindows` (the COM engine: ranges, books, apps, value cleaning),
`xlwings.udfs` (`xlfunc`/`xlarg`, the decorators `xw.func`/`xw.arg` are there, and `call_udf`) and, in the UDF
server, `xlwings.com_server` (`XLPython.CallUDF`, what the add-in's VBA calls). Off Windows none of that is
imported and `xw.func` does nothing, so a test of the add-in alone never meets xlwings' type-hint converters or its
value cleaning. `windows_xlwings()` imports those three modules from the installed package, unchanged, with
stand-ins for what only Windows has:

- pywin32's modules (`pythoncom`, `pywintypes`, `win32api`, `win32con`, `win32gui`, `win32process`,
  `win32timezone`, `win32event`, `win32com.client`, `win32com.server.*`): just enough for the calls xlwings makes.
  A COM object is a plain Python object (tests/addin/fake_excel.py holds a fake Excel); `Dispatch` hands it back, and
  what pywin32 hands a COM server for an object argument (a `PyIDispatch`) wraps one;
- ctypes' Windows DLL loaders (`windll`, `oledll`, and `PyDLL` of pythoncom's DLL), through which xlwings finds the
  Excel window of a handle: a `Desktop` of fake Excel windows answers them.

Everything else (the decorator machinery, `conversion.read`/`write`, `call_udf`, `XLPython.CallUDF`, `Book.caller`,
the COM retry wrappers) is xlwings' code. Then `xw.func`, `xw.arg`, `xw.ret` and `xw.script` are bound to the
Windows decorators and the "excel" engine is added and made active, as `xlwings/__init__.py` does on Windows. On
leaving, all of it is undone.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import importlib
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import xlwings

RANGE_IID = "{00020846-0000-0000-C000-000000000046}"
DISP_E_UNKNOWNNAME = -2147352570
VARIANT_MISSING = -2147352572  # DISP_E_PARAMNOTFOUND: what VBA passes for an Optional argument left out
XLWINGS_WINDOWS_MODULES = ("xlwings._xlwindows", "xlwings.udfs", "xlwings.com_server")
DECORATORS = {"func": "xlfunc", "arg": "xlarg", "ret": "xlret", "script": "xlsub", "sub": "xlsub"}
# xlwings retries a COM call that fails with AttributeError for ever (N_COM_ATTEMPTS = 0, for a busy Excel); a fake
# object missing a property would hang the test instead of failing it.
COM_ATTEMPTS = 3


class ComError(Exception):
    """pywintypes.com_error: args are (hresult, text, excepinfo, argerror)."""

    @property
    def hresult(self) -> int:
        code: int = self.args[0]
        return code


class WindowsError_(Exception):  # noqa: N801, N818  (pywintypes.error, the Win32 API error)
    pass


class TimeType(dt.datetime):
    """pywintypes.TimeType: a datetime that pywin32 makes for a COM date (time zone UTC)."""


class ComObject:
    """The base of every fake COM object (stands in for win32com.client.CDispatch).

    As with pywin32's late-bound objects, reading a name the object does not have raises AttributeError, and
    `_oleobj_.GetIDsOfNames` then says DISP_E_UNKNOWNNAME (xlwings asks it before retrying); setting a property the
    object does not declare in `_properties_` raises AttributeError too."""

    _properties_: frozenset[str] = frozenset()
    _type_name_ = "Object"
    _iid_ = "{00020400-0000-0000-C000-000000000046}"

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_") and name not in self._properties_:
            raise AttributeError(f"Property '{self._type_name_}.{name}' can not be set.")
        object.__setattr__(self, name, value)

    @property
    def _oleobj_(self) -> _OleObject:
        return _OleObject(self)


@dataclass
class _OleObject:
    target: ComObject

    def GetIDsOfNames(self, lcid: int, name: str) -> int:  # noqa: N802
        raise ComError(DISP_E_UNKNOWNNAME, "Unknown name.", None, None)

    def GetTypeInfo(self) -> _TypeInfo:  # noqa: N802
        return _TypeInfo(self.target)


@dataclass
class _TypeInfo:
    target: ComObject

    def GetTypeAttr(self) -> Any:  # noqa: N802
        return types.SimpleNamespace(iid=self.target._iid_)

    def GetDocumentation(self, member: int) -> tuple[str, str, int, str]:  # noqa: N802
        return (self.target._type_name_, "", 0, "")


@dataclass
class PyIDispatch:
    """What pywin32 gives a COM server for an object argument (a range, a workbook): Dispatch() makes it usable."""

    target: ComObject

    def GetTypeInfo(self) -> _TypeInfo:  # noqa: N802
        return _TypeInfo(self.target)


def com_argument(value: Any) -> Any:
    """A COM object passed as an argument, as the callee gets it: pywin32 passes anything with an `_oleobj_` (such
    as xlwings' retry wrapper around a COM object) as that object."""
    ole = getattr(value, "_oleobj_", None)
    return ole.target if isinstance(ole, _OleObject) else value


def dispatch(obj: Any, *args: Any, **kwargs: Any) -> Any:
    """win32com.client.Dispatch of an object pywin32 gave us: the fake COM object itself."""
    if isinstance(obj, PyIDispatch):
        return obj.target
    if isinstance(obj, ComObject):
        return obj
    raise ComError(-2147221005, f"Invalid class string {obj!r}", None, None)


@dataclass
class Desktop:
    """The Windows desktop as xlwings sees it through the Win32 API: Excel windows by handle, message boxes shown."""

    excels: dict[int, Any] = field(default_factory=dict)
    message_boxes: list[tuple[int, str, str, int]] = field(default_factory=list)
    new_excel: Callable[[], Any] | None = None
    """What `DispatchEx("Excel.Application")` starts (xlwings starts a hidden Excel when none is running)."""

    def add(self, app: Any) -> None:
        self.excels[app.Hwnd] = app

    # Each Excel main window has a child XLDESK with a child EXCEL7 (the workbook window); AccessibleObjectFromWindow
    # on EXCEL7 gives its Window object, whose Application is the Excel.
    def find_window(self, parent: int, after: int, class_name: str, title: Any) -> int:
        offsets = {"XLDESK": 1, "EXCEL7": 2}
        if class_name not in offsets:
            return 0
        main = parent if class_name == "XLDESK" else parent - 1
        return main + offsets[class_name] if main in self.excels else 0

    def excel_of_child(self, child: int) -> Any:
        app = self.excels.get(child - 2)
        if app is None:
            raise OSError(f"no Excel window {child}")
        return app

    def top_window(self, *args: Any) -> int:
        return min(self.excels, default=0)

    def next_window(self, hwnd: int, direction: int) -> int:
        later = sorted(h for h in self.excels if h > hwnd)
        return later[0] if later else 0

    def message_box(self, hwnd: int, text: str, title: str, style: int) -> int:
        self.message_boxes.append((hwnd, text, title, style))
        return 1  # IDOK


class _WindowObject(ComObject):
    """The Excel Window object behind an EXCEL7 handle (what AccessibleObjectFromWindow gives)."""

    _type_name_ = "Window"

    def __init__(self, app: Any) -> None:
        object.__setattr__(self, "Application", app)


def _stand_in_modules(desktop: Desktop) -> dict[str, types.ModuleType]:
    def module(name: str, **names: Any) -> types.ModuleType:
        made = types.ModuleType(name)
        made.__dict__.update(names)
        return made

    iid_dispatch = "{00020400-0000-0000-C000-000000000046}"
    iid_enum = "{00020404-0000-0000-C000-000000000046}"
    nothing = lambda *args, **kwargs: None  # noqa: E731

    class Wrapped:
        """win32com.server.util.wrap: a Python object handed out as a COM object."""

        def __init__(self, obj: Any) -> None:
            self.obj = obj

    def unwrap(value: Any) -> Any:
        if isinstance(value, Wrapped):
            return value.obj
        raise ValueError("not a wrapped Python object")

    def new_excel(name: str, *args: Any) -> Any:
        if name != "Excel.Application" or desktop.new_excel is None:
            raise ComError(-2147221005, "Invalid class string", None, None)
        app = desktop.new_excel()
        desktop.add(app)
        return app

    class TimeZoneInfo:
        @staticmethod
        def utc() -> dt.tzinfo:
            return dt.UTC

    pythoncom = module(
        "pythoncom",
        __file__="pythoncom311.dll",
        CoInitialize=nothing,
        CoUninitialize=nothing,
        IID_IDispatch=iid_dispatch,
        IID_IEnumVARIANT=iid_enum,
        TypeIIDs={iid_dispatch: PyIDispatch},
        com_error=ComError,
        ole_error=ComError,
    )
    win32com = module("win32com")
    client = module(
        "win32com.client",
        Dispatch=dispatch,
        DispatchEx=new_excel,
        CDispatch=ComObject,
        CoClassBaseClass=type("CoClassBaseClass", (), {}),
        DispatchBaseClass=type("DispatchBaseClass", (), {}),
        gencache=module("win32com.client.gencache", EnsureModule=nothing),
    )
    server = module("win32com.server")
    server_util = module("win32com.server.util", wrap=lambda obj, *args, **kwargs: Wrapped(obj), unwrap=unwrap)
    server_policy = module("win32com.server.policy", DefaultPolicy=type("DefaultPolicy", (), {}))
    server_dispatcher = module("win32com.server.dispatcher")
    server_exception = module("win32com.server.exception", COMException=ComError)
    win32com.client = client  # type: ignore[attr-defined]
    win32com.server = server  # type: ignore[attr-defined]
    server.util = server_util  # type: ignore[attr-defined]
    server.policy = server_policy  # type: ignore[attr-defined]
    server.dispatcher = server_dispatcher  # type: ignore[attr-defined]
    server.exception = server_exception  # type: ignore[attr-defined]
    return {
        "pythoncom": pythoncom,
        "pywintypes": module(
            "pywintypes", com_error=ComError, error=WindowsError_, TimeType=TimeType, IID=lambda text: text.upper()
        ),
        "win32api": module("win32api", MessageBox=desktop.message_box, GetCurrentThreadId=lambda: 1),
        "win32con": module(
            "win32con", MB_OK=0, MB_OKCANCEL=1, MB_YESNOCANCEL=3, MB_YESNO=4, MB_ICONWARNING=48, MB_ICONINFORMATION=64
        ),
        "win32gui": module("win32gui", FindWindowEx=desktop.find_window),
        "win32process": module("win32process", GetWindowThreadProcessId=lambda hwnd: (hwnd + 7, hwnd + 9)),
        "win32timezone": module("win32timezone", TimeZoneInfo=TimeZoneInfo),
        "win32event": module("win32event", INFINITE=-1, QS_ALLEVENTS=255, WAIT_OBJECT_0=0),
        "win32com": win32com,
        "win32com.client": client,
        "win32com.client.gencache": client.gencache,
        "win32com.server": server,
        "win32com.server.util": server_util,
        "win32com.server.policy": server_policy,
        "win32com.server.dispatcher": server_dispatcher,
        "win32com.server.exception": server_exception,
    }


def _windows_dlls(desktop: Desktop) -> dict[str, Any]:
    """ctypes.windll and ctypes.oledll as the Excel-finding code calls them, and PyDLL for pythoncom's DLL."""

    def accessible_object_from_window(hwnd: int, object_id: int, iid: Any, pointer: Any) -> int:
        pointer._obj.value = hwnd  # the "IDispatch pointer" is the window handle, resolved below
        return 0

    def object_from_pointer(pointer: Any, iid: Any, add_ref: bool) -> PyIDispatch:
        return PyIDispatch(_WindowObject(desktop.excel_of_child(pointer.value)))

    user32 = types.SimpleNamespace(
        GetTopWindow=desktop.top_window,
        GetWindow=desktop.next_window,
        GetForegroundWindow=lambda: 0,
        SetForegroundWindow=lambda hwnd: 1,
        SetWindowPos=lambda *args: 1,
    )
    return {
        "windll": types.SimpleNamespace(user32=user32),
        "oledll": types.SimpleNamespace(
            ole32=types.SimpleNamespace(CLSIDFromString=lambda text, guid: 0),
            oleacc=types.SimpleNamespace(AccessibleObjectFromWindow=accessible_object_from_window),
        ),
        "PyDLL": lambda path: types.SimpleNamespace(PyCom_PyObjectFromIUnknown=object_from_pointer),
    }


@dataclass
class WindowsXlwings:
    """The loaded modules: `udfs` (xlfunc, call_udf), `com_server` (XLPython), `xlwindows` (the COM engine)."""

    udfs: types.ModuleType
    com_server: types.ModuleType
    xlwindows: types.ModuleType
    desktop: Desktop


@contextlib.contextmanager
def windows_xlwings(desktop: Desktop | None = None) -> Iterator[WindowsXlwings]:
    """xlwings as it is on Windows, for the duration of the block (see the module's docstring)."""
    desktop = desktop or Desktop()
    stand_ins = _stand_in_modules(desktop)
    dlls = _windows_dlls(desktop)
    touched = [*stand_ins, *XLWINGS_WINDOWS_MODULES, "addin.udfs"]
    saved_modules = {name: sys.modules.get(name) for name in touched}
    saved_submodules = {name: getattr(xlwings, name, None) for name in ("_xlwindows", "udfs", "com_server")}
    saved_ctypes = {name: getattr(ctypes, name, None) for name in dlls}
    saved_decorators = {name: getattr(xlwings, name, None) for name in DECORATORS}
    saved_engines = (list(xlwings.engines.engines), dict(xlwings.engines.engines_by_name), xlwings.engines.active)
    decorated: list[Callable[..., Any]] = []
    loaded: WindowsXlwings | None = None
    try:
        sys.modules.update(stand_ins)
        for name in (*XLWINGS_WINDOWS_MODULES, "addin.udfs"):
            sys.modules.pop(name, None)
        for name, value in dlls.items():
            setattr(ctypes, name, value)
        try:
            xlwindows = importlib.import_module("xlwings._xlwindows")
        finally:
            ctypes.PyDLL = saved_ctypes["PyDLL"]  # type: ignore[assignment]  # bound inside _xlwindows by now
        udfs = importlib.import_module("xlwings.udfs")
        com_server = importlib.import_module("xlwings.com_server")
        xlwindows.N_COM_ATTEMPTS = COM_ATTEMPTS  # type: ignore[attr-defined]
        for name, windows_name in DECORATORS.items():
            setattr(xlwings, name, getattr(udfs, windows_name))
        xlwings.engines.add(xlwings.Engine(impl=xlwindows.engine))  # type: ignore[attr-defined]
        xlwings.engines.active = xlwings.engines["excel"]
        udfs.udf_modules.clear()  # type: ignore[attr-defined]
        loaded = WindowsXlwings(udfs, com_server, xlwindows, desktop)
        yield loaded
    finally:
        if loaded is not None:
            decorated = _decorated_functions()
            loaded.com_server.loop.close()  # type: ignore[attr-defined]
            loaded.udfs.com_executor.shutdown()  # type: ignore[attr-defined]
        for function in decorated:
            del function.__xlfunc__  # type: ignore[attr-defined]
        for name, value in saved_ctypes.items():
            if value is None:
                with contextlib.suppress(AttributeError):
                    delattr(ctypes, name)
            else:
                setattr(ctypes, name, value)
        for name, value in (saved_decorators | saved_submodules).items():
            if value is None:
                with contextlib.suppress(AttributeError):
                    delattr(xlwings, name)
            else:
                setattr(xlwings, name, value)
        xlwings.engines.engines[:] = saved_engines[0]
        xlwings.engines.engines_by_name.clear()
        xlwings.engines.engines_by_name.update(saved_engines[1])
        xlwings.engines.active = saved_engines[2]
        for name, module in saved_modules.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _decorated_functions() -> list[Callable[..., Any]]:
    """The worksheet functions xlwings' decorators marked (they set `__xlfunc__` on the function objects)."""
    from addin.registry import WORKSHEET_FUNCTIONS

    return [entry.function for entry in WORKSHEET_FUNCTIONS.values() if hasattr(entry.function, "__xlfunc__")]
