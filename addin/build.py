"""Build `ICS Benchmarking.xlam` from the text sources in addin/excel/, the same bytes every time.

    python -m addin.build --out DIR        (or `icsbench excel build --out DIR`)

What goes in:
- `addin/excel/customUI14.xml`, the ribbon (namespace customUI 2009/07), stored as `customUI/customUI14.xml`;
- the VBA modules: every `addin/excel/vba/*.bas` (hand-written callbacks, and `ICSFunctions.bas`, generated from the
  worksheet-function registry by `addin.vba`), plus `xlwings_custom_addin.bas` taken from the INSTALLED xlwings package
  (its version must be the one pyproject pins, because the module names the matching xlwings DLL), with its
  `PROJECT_NAME` set to ours so it reads `%USERPROFILE%\\.icsbench\\icsbench.conf`;
- the two document modules every Excel VBA project has (ThisWorkbook, Sheet1), empty.

Why a writer of our own: the VBA project (`xl/vbaProject.bin`) is an OLE compound file (MS-CFB) holding the streams
MS-OVBA describes. Python's packages only read it (olefile, oletools); LibreOffice can write one, but only from a
running office with its Basic IDE in VBA mode, which would make LibreOffice a build dependency on every machine that
installs the add-in. The project we need is small and source-only: `_VBA_PROJECT` declares version 0xFFFF, which tells
Excel there is no compiled cache, so it compiles the modules from source when it opens the add-in (the add-in that
xlwings ships is stored the same way). So this module writes the MS-OVBA streams (dir records, PROJECT text with the
"encrypted" protection fields, compressed module sources) and the compound file itself, following the specifications
section by section; the tests read the result back with olefile, olevba and LibreOffice, which share no code with it.
The workbook parts come from xlsxwriter (its `add_vba_project` is the documented way to ship a vbaProject.bin); the zip
is then rewritten with the add-in content type, the ribbon part and fixed timestamps.
"""

from __future__ import annotations

import argparse
import io
import re
import struct
import sys
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from xml.etree import ElementTree

from addin import vba

EXCEL_DIR = Path(__file__).resolve().parent / "excel"
RIBBON_PATH = EXCEL_DIR / "customUI14.xml"
XLAM_NAME = "ICS Benchmarking.xlam"

CUSTOMUI_NAMESPACE = "http://schemas.microsoft.com/office/2009/07/customui"
CUSTOMUI_RELATIONSHIP = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
CUSTOMUI_PART = "customUI/customUI14.xml"
ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
MACRO_WORKBOOK_CONTENT_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

VBA_PROJECT_NAME = "ICSBenchmarking"
CONFIG_NAME = "icsbench"
"""xlwings' PROJECT_NAME: the add-in reads `%USERPROFILE%\\.icsbench\\icsbench.conf` (see addin.install)."""
PROJECT_ID = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "ics-plics-benchmarking/addin")).upper() + "}"
XLWINGS_MODULE_FILE = "xlwings_custom_addin.bas"
FIXED_TIME = datetime(2024, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# Document modules: their VB_Base names the Excel object type (Workbook, Worksheet) the module belongs to.
_DOCUMENT_BASES = {
    "ThisWorkbook": "0{00020819-0000-0000-C000-000000000046}",
    "Sheet1": "0{00020820-0000-0000-C000-000000000046}",
}
# References every new Excel VBA project has besides VBA and Excel themselves: OLE Automation and the Office library
# (IRibbonUI and IRibbonControl, the types of the ribbon callbacks, live there). Excel resolves them by GUID and
# version through the registry; the path is a hint.
_REFERENCES = (
    ("stdole", "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\\Windows\\System32\\stdole2.tlb#OLE Automation"),
    (
        "Office",
        "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
        "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL#Microsoft Office 16.0 Object Library",
    ),
)
_CODEPAGE = "cp1252"
_VISIBLE = b"\xff"
_CODEPAGE_NUMBER = 1252
_LCID = 0x0409


class BuildError(Exception):
    """The add-in cannot be built from these sources; the message says what to fix."""


# ------------------------------------------------------------------------------------------------------ the sources


@dataclass(frozen=True)
class Module:
    """One VBA module as Excel stores it: source text with its `Attribute` lines, CRLF line ends."""

    name: str
    source: str
    document: bool = False


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
            module.source.encode(_CODEPAGE)
        except UnicodeEncodeError as error:
            raise BuildError(f"module {module.name}: VBA source must be Windows-1252 text: {error}") from None
    return modules


# ---------------------------------------------------------------------------------------------------------- ribbon


def _q(name: str) -> str:
    return f"{{{CUSTOMUI_NAMESPACE}}}{name}"


def ribbon_xml(path: Path = RIBBON_PATH) -> bytes:
    """The ribbon XML, parsed once to prove it is well formed and in the customUI14 namespace."""
    data = path.read_bytes()
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise BuildError(f"{path}: not well-formed XML: {error}") from None
    if root.tag != _q("customUI"):
        raise BuildError(f'{path}: the root must be <customUI xmlns="{CUSTOMUI_NAMESPACE}">, not {root.tag}')
    return data


def ribbon_ids(xml: bytes) -> list[str]:
    """Every `id` in the ribbon, in document order (duplicates kept, so a caller can spot them)."""
    return [element.attrib["id"] for element in ElementTree.fromstring(xml).iter() if "id" in element.attrib]


def ribbon_buttons(xml: bytes) -> list[str]:
    """The ids of the ribbon's buttons."""
    return [element.attrib["id"] for element in ElementTree.fromstring(xml).iter(_q("button"))]


def ribbon_callbacks(xml: bytes) -> list[tuple[str, str]]:
    """(attribute, procedure) for every callback the ribbon names: onLoad, onAction, getLabel and the like."""
    return [
        (attribute, value)
        for element in ElementTree.fromstring(xml).iter()
        for attribute, value in element.attrib.items()
        if re.fullmatch(r"on[A-Z]\w*|get[A-Z]\w*|loadImage", attribute)
    ]


def ribbon_problems(xml: bytes, modules: Sequence[Module]) -> list[str]:
    """What would make Excel reject the ribbon or fail on a click: duplicate ids, callbacks with no Sub behind them."""
    problems = []
    ids = ribbon_ids(xml)
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"id {duplicate!r} is used more than once")
    subs = {
        (p.module.lower(), p.name.lower()): p
        for m in modules
        for p in vba.procedures(m.source)
        if p.kind == "Sub" and p.scope != "Private"
    }
    for attribute, callback in ribbon_callbacks(xml):
        module, _, name = callback.rpartition(".")
        found = [p for (mod, sub), p in subs.items() if sub == name.lower() and (not module or mod == module.lower())]
        if not found:
            problems.append(f"{attribute}={callback!r}: no public Sub {callback} in the VBA modules")
        elif attribute in {"onAction", "onLoad"} and found[0].arity != 1:
            problems.append(f"{attribute}={callback!r}: the Sub must take exactly one argument")
    return problems


# --------------------------------------------------------------------------------------------- MS-OVBA: the streams


def compress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 compression: a signature byte, then one chunk per 4096 bytes of input.

    Each chunk is a run of token sequences (a flag byte, then up to eight literal bytes or two-byte copy tokens that
    point back into the same chunk). The split between a copy token's offset and length bits depends on how far into
    the chunk the token sits (2.4.1.3.19.1). Matching is greedy over the most recent positions with the same 3 bytes.
    """
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start : start + 4096]
        body = _compress_chunk(chunk)
        if len(body) <= 4096:
            out += struct.pack("<H", 0xB000 | (len(body) - 1))  # size - 3 (the header counts), signature 3, compressed
            out += body
        elif len(chunk) == 4096:
            out += struct.pack("<H", 0x3FFF)  # an uncompressed chunk holds exactly 4096 bytes
            out += chunk
        else:
            raise BuildError("a final chunk that does not compress cannot be stored (MS-OVBA 2.4.1.3.10)")
    return bytes(out)


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    recent: dict[bytes, list[int]] = {}
    position = 0
    while position < len(chunk):
        flag_index = len(out)
        out.append(0)
        for bit in range(8):
            if position >= len(chunk):
                break
            length, offset = 0, 0
            if position > 0:
                bit_count = max((position - 1).bit_length(), 4)
                maximum = (0xFFFF >> bit_count) + 3
                for candidate in reversed(recent.get(chunk[position : position + 3], [])[-64:]):
                    run = 0
                    while (
                        run < maximum
                        and position + run < len(chunk)
                        and chunk[candidate + run] == chunk[position + run]
                    ):
                        run += 1
                    if run > length:
                        length, offset = run, position - candidate
            if length >= 3:
                out += struct.pack("<H", ((offset - 1) << (16 - bit_count)) | (length - 3))
                out[flag_index] |= 1 << bit
                step = length
            else:
                out.append(chunk[position])
                step = 1
            for index in range(position, position + step):
                recent.setdefault(chunk[index : index + 3], []).append(index)
            position += step
    return bytes(out)


def encrypt(data: bytes, project_id: str, seed: int) -> str:
    """MS-OVBA 2.4.3.2 data encryption, as the PROJECT stream's CMG, DPB and GC fields hold it (hex text).

    It hides nothing (the key is in the same stream); Excel decrypts these fields to learn the protection state, so
    they must decode. A fixed seed keeps the build reproducible.
    """
    version = 2
    project_key = sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ project_key])
    unencrypted, encrypted_1, encrypted_2 = project_key, seed ^ project_key, seed ^ version
    plain = bytes((seed & 6) // 2) + struct.pack("<I", len(data)) + data  # ignored bytes, length, data
    for byte in plain:
        byte_enc = byte ^ ((encrypted_2 + unencrypted) & 0xFF)
        out.append(byte_enc)
        encrypted_2, encrypted_1, unencrypted = encrypted_1, byte_enc, byte
    return out.hex().upper()


def _record(record_id: int, payload: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(payload)) + payload


def _text_records(record_id: int, unicode_id: int, text: str) -> bytes:
    """A record holding MBCS text followed by its UTF-16 twin (reserved id in place of the record header)."""
    return _record(record_id, text.encode(_CODEPAGE)) + _record(unicode_id, text.encode("utf-16-le"))


def dir_stream(modules: Sequence[Module]) -> bytes:
    """The decompressed `VBA/dir` stream: project information, references, modules (MS-OVBA 2.3.4.2)."""
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 1))  # SysKind: 32-bit Windows (Excel 64-bit reads it too)
    out += _record(0x0002, struct.pack("<I", _LCID))
    out += _record(0x0014, struct.pack("<I", _LCID))  # LcidInvoke
    out += _record(0x0003, struct.pack("<H", _CODEPAGE_NUMBER))
    out += _record(0x0004, VBA_PROJECT_NAME.encode(_CODEPAGE))
    out += _text_records(0x0005, 0x0040, "")  # DocString
    out += _record(0x0006, b"") + _record(0x003D, b"")  # HelpFile1, HelpFile2: none
    out += _record(0x0007, struct.pack("<I", 0))  # HelpContext
    out += _record(0x0008, struct.pack("<I", 0))  # LibFlags
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # Version: reserved size 4, major, minor
    out += _text_records(0x000C, 0x003C, "")  # Constants
    for name, libid in _REFERENCES:
        out += _text_records(0x0016, 0x003E, name)
        registered = struct.pack("<I", len(libid)) + libid.encode(_CODEPAGE) + struct.pack("<IH", 0, 0)
        out += _record(0x000D, registered)
    out += _record(0x000F, struct.pack("<H", len(modules)))
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # ProjectCookie, ignored on read
    for module in modules:
        out += _text_records(0x0019, 0x0047, module.name)  # ModuleName, ModuleNameUnicode
        out += _text_records(0x001A, 0x0032, module.name)  # ModuleStreamName
        out += _text_records(0x001C, 0x0048, "")  # ModuleDocString
        out += _record(0x0031, struct.pack("<I", 0))  # TextOffset: source starts the stream, no p-code before it
        out += _record(0x001E, struct.pack("<I", 0))  # HelpContext
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # Cookie, ignored on read
        out += _record(0x0022 if module.document else 0x0021, b"")  # document/class or procedural module
        out += _record(0x002B, b"")  # module terminator
    out += _record(0x0010, b"")  # dir terminator
    return bytes(out)


def project_stream(modules: Sequence[Module]) -> bytes:
    """The `PROJECT` stream (MS-OVBA 2.3.1): what the VBA editor shows, as text."""
    lines = [f'ID="{PROJECT_ID}"']
    for module in modules:
        lines.append(f"Document={module.name}/&H00000000" if module.document else f"Module={module.name}")
    lines += [
        f'Name="{VBA_PROJECT_NAME}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt(bytes(4), PROJECT_ID, 0x41)}"',  # protection state: none
        f'DPB="{encrypt(bytes(1), PROJECT_ID, 0x42)}"',  # password: none
        f'GC="{encrypt(_VISIBLE, PROJECT_ID, 0x43)}"',  # visibility: visible
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
        *(f"{module.name}=0, 0, 0, 0, C" for module in modules),
    ]
    return "".join(line + "\r\n" for line in lines).encode(_CODEPAGE)


def project_wm_stream(modules: Sequence[Module]) -> bytes:
    """The `PROJECTwm` stream (MS-OVBA 2.3.3): each module name in MBCS and in UTF-16."""
    out = bytearray()
    for module in modules:
        out += module.name.encode(_CODEPAGE) + b"\x00" + module.name.encode("utf-16-le") + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def vba_project_bin(modules: Sequence[Module]) -> bytes:
    """The whole `xl/vbaProject.bin` for these modules."""
    streams = {
        "PROJECT": project_stream(modules),
        "PROJECTwm": project_wm_stream(modules),
        # Reserved 0x61CC, Version 0xFFFF (no compiled cache: Excel compiles the sources), Reserved 0x00, Reserved.
        "VBA/_VBA_PROJECT": struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0001),
        "VBA/dir": compress(dir_stream(modules)),
    }
    for module in modules:
        streams[f"VBA/{module.name}"] = compress(module.source.encode(_CODEPAGE))
    return compound_file(streams)


# ------------------------------------------------------------------------------------------ MS-CFB: the container

_SECTOR = 512
_MINI_SECTOR = 64
_MINI_CUTOFF = 4096
_FREE, _END, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_HEADER_DIFAT_SLOTS = 109


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: dict[str, _Entry] = field(default_factory=dict)
    index: int = 0
    left: int = _NO_STREAM
    right: int = _NO_STREAM
    child: int = _NO_STREAM
    black: bool = True
    start: int = _END


def _cfb_order(name: str) -> tuple[int, str]:
    """MS-CFB 2.6.4: siblings compare by name length first, then by upper-cased name."""
    return len(name), name.upper()


def _link_siblings(children: list[_Entry]) -> int:
    """Make a red-black tree of the siblings; returns the root's index.

    The tree is built balanced (middle element as root, recursively), so every path from the root to a leaf has the
    same length give or take one; colouring the nodes on the deepest level red and all others black makes every
    root-to-leaf path hold the same number of black nodes, and no red node has a red child.
    """
    ordered = sorted(children, key=lambda e: _cfb_order(e.name))
    depths: dict[int, int] = {}

    def build(low: int, high: int, depth: int) -> int:
        if low >= high:
            return _NO_STREAM
        middle = (low + high) // 2
        entry = ordered[middle]
        depths[middle] = depth
        entry.left = build(low, middle, depth + 1)
        entry.right = build(middle + 1, high, depth + 1)
        return entry.index

    root = build(0, len(ordered), 0)
    deepest = max(depths.values(), default=0)
    for position, depth in depths.items():
        ordered[position].black = not (depth == deepest and depth > 0)
    return root


def _chain(fat: list[int], start: int, count: int) -> None:
    for offset in range(count):
        fat[start + offset] = start + offset + 1 if offset < count - 1 else _END


def compound_file(streams: Mapping[str, bytes]) -> bytes:
    """An MS-CFB version 3 file (512-byte sectors) holding these streams; "A/B" puts stream B in storage A.

    Layout: FAT sectors, directory, mini FAT, mini stream (streams under 4096 bytes, in 64-byte mini sectors), then
    the large streams, each contiguous. Times and CLSIDs are zero, so the same streams give the same bytes.
    """
    root = _Entry("Root Entry", 5)
    for path, data in streams.items():
        *storages, name = path.split("/")
        parent = root
        for storage in storages:
            parent = parent.children.setdefault(storage, _Entry(storage, 1))
        if name in parent.children or len(name) > 31:
            raise BuildError(f"compound file: duplicate or over-long stream name {path!r}")
        parent.children[name] = _Entry(name, 2, data)

    entries: list[_Entry] = []

    def number(entry: _Entry) -> None:
        entry.index = len(entries)
        entries.append(entry)
        for child in sorted(entry.children.values(), key=lambda e: _cfb_order(e.name)):
            number(child)

    number(root)
    for entry in entries:
        if entry.children:
            entry.child = _link_siblings(list(entry.children.values()))

    small = [e for e in entries if e.kind == 2 and 0 < len(e.data) < _MINI_CUTOFF]
    large = [e for e in entries if e.kind == 2 and len(e.data) >= _MINI_CUTOFF]
    mini_stream = bytearray()
    mini_fat: list[int] = []
    for entry in small:
        entry.start = len(mini_fat)
        count = -(-len(entry.data) // _MINI_SECTOR)
        mini_fat += [0] * count
        _chain(mini_fat, entry.start, count)
        mini_stream += entry.data.ljust(count * _MINI_SECTOR, b"\x00")

    def sectors(size: int) -> int:
        return -(-size // _SECTOR)

    directory_sectors = sectors(len(entries) * 128)
    mini_fat_sectors = sectors(len(mini_fat) * 4)
    mini_stream_sectors = sectors(len(mini_stream))
    large_sectors = [sectors(len(e.data)) for e in large]
    payload = directory_sectors + mini_fat_sectors + mini_stream_sectors + sum(large_sectors)
    fat_sectors = 1
    while fat_sectors * (_SECTOR // 4) < fat_sectors + payload:
        fat_sectors += 1
    if fat_sectors > _HEADER_DIFAT_SLOTS:
        raise BuildError("compound file too large for a header-only FAT index")

    fat = [_FREE] * (fat_sectors * _SECTOR // 4)
    for sector in range(fat_sectors):
        fat[sector] = _FAT_SECTOR
    next_sector = fat_sectors
    directory_start = next_sector
    _chain(fat, directory_start, directory_sectors)
    next_sector += directory_sectors
    mini_fat_start = next_sector if mini_fat_sectors else _END
    _chain(fat, next_sector, mini_fat_sectors)
    next_sector += mini_fat_sectors
    root.start = next_sector if mini_stream_sectors else _END
    _chain(fat, next_sector, mini_stream_sectors)
    next_sector += mini_stream_sectors
    for entry, count in zip(large, large_sectors, strict=True):
        entry.start = next_sector
        _chain(fat, next_sector, count)
        next_sector += count

    header = bytearray(_SECTOR)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x003E, 0x0003, 0xFFFE, 9, 6)  # versions, byte order, sector shifts
    struct.pack_into(
        "<IIIIIIIII",
        header,
        40,
        0,  # directory sectors (always 0 in version 3)
        fat_sectors,
        directory_start,
        0,  # transaction signature
        _MINI_CUTOFF,
        mini_fat_start,
        mini_fat_sectors,
        _END,  # no DIFAT sectors
        0,
    )
    difat = list(range(fat_sectors)) + [_FREE] * (_HEADER_DIFAT_SLOTS - fat_sectors)
    struct.pack_into(f"<{_HEADER_DIFAT_SLOTS}I", header, 76, *difat)

    directory = bytearray()
    for entry in entries:
        encoded = entry.name.encode("utf-16-le") + b"\x00\x00"
        size = len(mini_stream) if entry.kind == 5 else len(entry.data)
        directory += encoded.ljust(64, b"\x00")
        directory += struct.pack("<HBB", len(encoded), entry.kind, 1 if entry.black else 0)
        directory += struct.pack("<III", entry.left, entry.right, entry.child)
        directory += bytes(16 + 4 + 8 + 8)  # CLSID, state bits, creation and modification times
        start = 0 if entry.kind == 1 else entry.start if size else _END  # storages: zero
        directory += struct.pack("<IQ", start, size)
    while len(directory) % _SECTOR:
        directory += bytes(64) + struct.pack("<HBBIII", 0, 0, 0, _NO_STREAM, _NO_STREAM, _NO_STREAM) + bytes(48)

    out = bytearray(header)
    out += struct.pack(f"<{len(fat)}I", *fat)
    out += directory
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    out += mini_fat_bytes.ljust(mini_fat_sectors * _SECTOR, b"\xff")
    out += bytes(mini_stream).ljust(mini_stream_sectors * _SECTOR, b"\x00")
    for entry, count in zip(large, large_sectors, strict=True):
        out += entry.data.ljust(count * _SECTOR, b"\x00")
    return bytes(out)


# ----------------------------------------------------------------------------------------------------- the add-in


def _package_version() -> str:
    try:
        return metadata.version("ics-plics-benchmarking")
    except metadata.PackageNotFoundError:
        return "unknown"


def _workbook(vba_project: bytes) -> bytes:
    """The workbook parts from xlsxwriter: one sheet saying what the add-in is, and the VBA project."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties(
        {
            "title": "ICS Benchmarking",
            "subject": "Excel add-in: ICS_ worksheet functions and the ICS Benchmarking ribbon tab",
            "author": "ics-plics-benchmarking",
            "created": FIXED_TIME,
        }
    )
    workbook.set_vba_name("ThisWorkbook")
    sheet = workbook.add_worksheet("About")
    sheet.set_vba_name("Sheet1")
    sheet.write_string(0, 0, "ICS Benchmarking add-in")
    sheet.write_string(1, 0, f"Built by `python -m addin.build` from ics-plics-benchmarking {_package_version()}")
    sheet.write_string(2, 0, f"xlwings runtime {pinned_xlwings_version()}; settings in %USERPROFILE%\\.{CONFIG_NAME}")
    workbook.add_vba_project(io.BytesIO(vba_project), is_stream=True)
    workbook.close()
    return buffer.getvalue()


def _as_addin(workbook: bytes, ribbon: bytes) -> bytes:
    """Rewrite xlsxwriter's .xlsm as an .xlam with the ribbon part, in a fixed order with fixed timestamps."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    parts = {name: source.read(name) for name in source.namelist()}
    types = parts["[Content_Types].xml"].decode("utf-8")
    main_type = f'ContentType="{MACRO_WORKBOOK_CONTENT_TYPE}"'
    if types.count(main_type) != 1:
        raise BuildError("xlsxwriter wrote an unexpected [Content_Types].xml: no single macro-enabled workbook part")
    parts["[Content_Types].xml"] = types.replace(main_type, f'ContentType="{ADDIN_CONTENT_TYPE}"').encode("utf-8")
    relationships = parts["_rels/.rels"].decode("utf-8")
    ribbon_relationship = (
        f'<Relationship Id="rIdCustomUI" Type="{CUSTOMUI_RELATIONSHIP}" Target="{CUSTOMUI_PART}"/></Relationships>'
    )
    if relationships.count("</Relationships>") != 1:
        raise BuildError("xlsxwriter wrote an unexpected _rels/.rels")
    parts["_rels/.rels"] = relationships.replace("</Relationships>", ribbon_relationship).encode("utf-8")
    parts[CUSTOMUI_PART] = ribbon
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, data)
    return out.getvalue()


def xlam_bytes() -> bytes:
    """The add-in file, built from the sources in the package and the installed xlwings."""
    ribbon = ribbon_xml()
    modules = vba_modules()
    problems = ribbon_problems(ribbon, modules)
    if problems:
        raise BuildError(f"{RIBBON_PATH.name}: " + "; ".join(problems))
    return _as_addin(_workbook(vba_project_bin(modules)), ribbon)


def build(out_dir: Path) -> Path:
    """Write `ICS Benchmarking.xlam` into out_dir (created if missing); returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / XLAM_NAME
    target.write_bytes(xlam_bytes())
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m addin.build", description=f"Build {XLAM_NAME} from addin/excel/.")
    parser.add_argument("--out", type=Path, default=Path("dist"), help="folder to write the add-in to (default dist)")
    args = parser.parse_args(argv)
    try:
        target = build(args.out)
    except BuildError as error:
        print(f"cannot build the add-in: {error}", file=sys.stderr)
        return 1
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
