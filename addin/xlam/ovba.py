"""MS-OVBA: the streams of a source-only VBA project, and `xl/vbaProject.bin` holding them.

The project is small and source-only: `_VBA_PROJECT` declares version 0xFFFF, which tells Excel there is no compiled
cache, so it compiles the modules from source when it opens the add-in (the add-in that xlwings ships is stored the
same way). This module writes the dir records, the PROJECT text with the "encrypted" protection fields and the
compressed module sources; `addin.xlam.compound_file` puts them in the compound file.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from addin.xlam import BuildError
from addin.xlam.compound_file import compound_file

VBA_PROJECT_NAME = "ICSBenchmarking"
PROJECT_ID = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, "ics-plics-benchmarking/addin")).upper() + "}"

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
CODEPAGE = "cp1252"
_VISIBLE = b"\xff"
_CODEPAGE_NUMBER = 1252
_LCID = 0x0409


@dataclass(frozen=True)
class Module:
    """One VBA module as Excel stores it: source text with its `Attribute` lines, CRLF line ends."""

    name: str
    source: str
    document: bool = False


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
    return _record(record_id, text.encode(CODEPAGE)) + _record(unicode_id, text.encode("utf-16-le"))


def dir_stream(modules: Sequence[Module]) -> bytes:
    """The decompressed `VBA/dir` stream: project information, references, modules (MS-OVBA 2.3.4.2)."""
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 1))  # SysKind: 32-bit Windows (Excel 64-bit reads it too)
    out += _record(0x0002, struct.pack("<I", _LCID))
    out += _record(0x0014, struct.pack("<I", _LCID))  # LcidInvoke
    out += _record(0x0003, struct.pack("<H", _CODEPAGE_NUMBER))
    out += _record(0x0004, VBA_PROJECT_NAME.encode(CODEPAGE))
    out += _text_records(0x0005, 0x0040, "")  # DocString
    out += _record(0x0006, b"") + _record(0x003D, b"")  # HelpFile1, HelpFile2: none
    out += _record(0x0007, struct.pack("<I", 0))  # HelpContext
    out += _record(0x0008, struct.pack("<I", 0))  # LibFlags
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # Version: reserved size 4, major, minor
    out += _text_records(0x000C, 0x003C, "")  # Constants
    for name, libid in _REFERENCES:
        out += _text_records(0x0016, 0x003E, name)
        registered = struct.pack("<I", len(libid)) + libid.encode(CODEPAGE) + struct.pack("<IH", 0, 0)
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
    return "".join(line + "\r\n" for line in lines).encode(CODEPAGE)


def project_wm_stream(modules: Sequence[Module]) -> bytes:
    """The `PROJECTwm` stream (MS-OVBA 2.3.3): each module name in MBCS and in UTF-16."""
    out = bytearray()
    for module in modules:
        out += module.name.encode(CODEPAGE) + b"\x00" + module.name.encode("utf-16-le") + b"\x00\x00"
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
        streams[f"VBA/{module.name}"] = compress(module.source.encode(CODEPAGE))
    return compound_file(streams)
