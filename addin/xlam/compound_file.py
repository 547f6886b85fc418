"""MS-CFB: an OLE compound file (version 3, 512-byte sectors) holding named streams, the same bytes every time.

The VBA project (`xl/vbaProject.bin`) is such a file. Python's packages only read it (olefile, oletools), so this
writes one, following the specification section by section; the tests read the result back with olefile.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

from addin.xlam import BuildError

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
