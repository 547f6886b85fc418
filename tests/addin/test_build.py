"""The built add-in, read back by tools that share no code with the builder: zipfile, olefile, olevba and LibreOffice.

Each check runs on `ICS Benchmarking.xlam` as `python -m addin.build` writes it, and the checks are shown to catch a
broken ribbon or VBA module (mutated copies of the sources), so a green run means something.
"""

from __future__ import annotations

import importlib
import inspect
import io
import os
import shutil
import struct
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addin import build, vba
from addin.xlam import BuildError, ovba, ribbon_checks, vba_sources
from addin.xlam.compound_file import compound_file

with warnings.catch_warnings():  # oletools 0.60 calls a pyparsing API that warns it is deprecated
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser, decompress_stream

BUTTONS = [
    "ics_refresh",
    "ics_data_quality",
    "ics_opportunities",
    "ics_service_pack",
    "ics_open_power_bi",
    "ics_settings",
]
MODULES = ["ThisWorkbook", "Sheet1", "xlwings", "ICSFunctions", "ICSRibbon"]
CUSTOMUI = "{http://schemas.microsoft.com/office/2009/07/customui}"
RED, BLACK = 0, 1  # MS-CFB 2.6.1 directory entry colour flag
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def xlam(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build.build(tmp_path_factory.mktemp("addin"))


@pytest.fixture(scope="module")
def modules(xlam: Path) -> dict[str, str]:
    """Module name -> source, as olevba reads them out of the built file."""
    parser = VBA_Parser(str(xlam))
    try:
        return {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


def _vba_project(xlam: Path) -> olefile.OleFileIO:
    with zipfile.ZipFile(xlam) as package:
        return olefile.OleFileIO(io.BytesIO(package.read("xl/vbaProject.bin")), raise_defects=olefile.DEFECT_INCORRECT)


def _subs(modules: dict[str, str]) -> dict[tuple[str, str], vba.Procedure]:
    return {(p.module, p.name): p for source in modules.values() for p in vba.procedures(source) if p.kind == "Sub"}


# ---------------------------------------------------------------------------------------------------- the package


def test_the_build_is_byte_for_byte_reproducible(xlam: Path, tmp_path: Path) -> None:
    again = build.build(tmp_path / "again")
    assert again.read_bytes() == xlam.read_bytes()
    other = tmp_path / "other process"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-m", "addin.build", "--out", str(other)], check=True, env=env, cwd=ROOT)
    assert (other / build.XLAM_NAME).read_bytes() == xlam.read_bytes()


def test_the_package_is_a_macro_enabled_addin_with_the_ribbon_part(xlam: Path) -> None:
    with zipfile.ZipFile(xlam) as package:
        assert package.testzip() is None
        assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        types = ElementTree.fromstring(package.read("[Content_Types].xml"))
        overrides = {e.attrib["PartName"]: e.attrib["ContentType"] for e in types if "PartName" in e.attrib}
        assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
        relationships = ElementTree.fromstring(package.read("_rels/.rels"))
        targets = {e.attrib["Type"]: e.attrib["Target"] for e in relationships}
        assert targets["http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"] == (
            "customUI/customUI14.xml"
        )
        assert package.read("customUI/customUI14.xml") == ribbon_checks.RIBBON_PATH.read_bytes()
        workbook_rels = package.read("xl/_rels/workbook.xml.rels").decode()
        assert 'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"' in (
            workbook_rels
        )
        assert 'codeName="ThisWorkbook"' in package.read("xl/workbook.xml").decode()
        assert 'codeName="Sheet1"' in package.read("xl/worksheets/sheet1.xml").decode()


# ------------------------------------------------------------------------------------------------------- the ribbon


def test_the_ribbon_is_well_formed_customui14_with_unique_ids(xlam: Path) -> None:
    with zipfile.ZipFile(xlam) as package:
        root = ElementTree.fromstring(package.read("customUI/customUI14.xml"))
    assert root.tag == f"{CUSTOMUI}customUI"
    ids = [e.attrib["id"] for e in root.iter() if "id" in e.attrib]
    assert len(ids) == len(set(ids))
    (tab,) = root.iter(f"{CUSTOMUI}tab")
    assert tab.attrib["label"] == "ICS Benchmarking"
    buttons = [(b.attrib["id"], b.attrib["label"]) for b in root.iter(f"{CUSTOMUI}button")]
    assert buttons == [
        ("ics_refresh", "Refresh"),
        ("ics_data_quality", "Data quality"),
        ("ics_opportunities", "Opportunities"),
        ("ics_service_pack", "Service pack"),
        ("ics_open_power_bi", "Open Power BI"),
        ("ics_settings", "Settings"),
    ]


def test_every_ribbon_callback_is_a_sub_of_the_built_vba_project(xlam: Path, modules: dict[str, str]) -> None:
    with zipfile.ZipFile(xlam) as package:
        callbacks = ribbon_checks.ribbon_callbacks(package.read("customUI/customUI14.xml"))
    assert {attribute for attribute, _ in callbacks} == {"onLoad", "onAction"}
    subs = _subs(modules)
    for _, callback in callbacks:
        module, name = callback.split(".")
        assert (module, name) in subs, callback
        assert subs[module, name].arity == 1 and subs[module, name].scope != "Private", callback


def test_every_button_has_a_python_handler() -> None:
    from addin.ribbon import BUTTON_HANDLERS

    buttons = ribbon_checks.ribbon_buttons(ribbon_checks.RIBBON_PATH.read_bytes())
    assert set(BUTTON_HANDLERS) == set(buttons) == set(BUTTONS)
    assert all(callable(handler) for handler in BUTTON_HANDLERS.values())


def test_the_buttons_hand_their_id_to_the_python_dispatcher(modules: dict[str, str]) -> None:
    assert (
        'RunPython "import addin.ribbon_excel; addin.ribbon_excel.on_action(\'" & control.Id & "\')"'
        in modules["ICSRibbon"]
    )
    on_action = importlib.import_module("addin.ribbon_excel").on_action
    assert list(inspect.signature(on_action).parameters) == ["button_id"]


def test_a_broken_ribbon_or_a_missing_sub_stops_the_build(tmp_path: Path) -> None:
    source = ribbon_checks.RIBBON_PATH.read_text(encoding="utf-8")
    modules = vba_sources.vba_modules()

    def problems(text: str) -> list[str]:
        path = tmp_path / "customUI14.xml"
        path.write_text(text, encoding="utf-8")
        return ribbon_checks.ribbon_problems(ribbon_checks.ribbon_xml(path), modules)

    assert problems(source) == []
    assert problems(source.replace('id="ics_settings"', 'id="ics_refresh"')) == [
        "id 'ics_refresh' is used more than once"
    ]
    assert problems(source.replace('onAction="ICSRibbon.OnRibbonAction"', 'onAction="ICSRibbon.OnClick"', 1)) == [
        "onAction='ICSRibbon.OnClick': no public Sub ICSRibbon.OnClick in the VBA modules"
    ]
    with pytest.raises(BuildError, match="not well-formed"):
        problems(source.replace("</tabs>", ""))
    with pytest.raises(BuildError, match="root must be"):
        problems(source.replace("2009/07/customui", "2006/01/customui"))

    vba_dir = tmp_path / "vba"
    shutil.copytree(vba.VBA_DIR, vba_dir)
    ribbon_module = vba_dir / "ICSRibbon.bas"
    ribbon_module.write_text(
        ribbon_module.read_text().replace("Public Sub OnRibbonAction(", "Private Sub OnRibbonAction(")
    )
    assert ribbon_checks.ribbon_problems(ribbon_checks.ribbon_xml(), vba_sources.vba_modules(vba_dir)) == [
        "onAction='ICSRibbon.OnRibbonAction': no public Sub ICSRibbon.OnRibbonAction in the VBA modules"
    ] * len(BUTTONS)


# ---------------------------------------------------------------------------------------------------------- the VBA


def test_olevba_reads_back_every_module_exactly_as_built(modules: dict[str, str]) -> None:
    assert sorted(modules) == sorted(MODULES)
    for module in vba_sources.vba_modules():
        assert modules[module.name].replace("\r\n", "\n") == module.source.replace("\r\n", "\n"), module.name
    for path in vba.VBA_DIR.glob("*.bas"):
        assert modules[path.stem].replace("\r\n", "\n") == path.read_text(encoding="utf-8"), path.name


def _wrapper_mismatches(source: str, functions: dict[str, vba.WorksheetFunction]) -> list[str]:
    """What differs between the VBA wrappers and the Python functions they call: names, arity, optional arguments."""
    wrappers = {p.name: p for p in vba.procedures(source) if p.kind == "Function" and p.scope != "Private"}
    problems = [f"{name}: no VBA wrapper" for name in sorted(set(functions) - set(wrappers))]
    problems += [f"{name}: no Python function" for name in sorted(set(wrappers) - set(functions))]
    for name in sorted(set(functions) & set(wrappers)):
        parameters = list(inspect.signature(functions[name].function).parameters.values())
        declared = [
            (p.name, p.kind is p.VAR_POSITIONAL, p.kind is p.VAR_POSITIONAL or p.default is not p.empty)
            for p in parameters
        ]
        written = [(p.name, p.param_array, p.optional) for p in wrappers[name].parameters]
        if declared != written:
            problems.append(f"{name}: VBA declares {written}, Python {declared}")
        if f'XLPy.CallUDF("{vba.UDF_MODULE}", "{name}", ' not in source:
            problems.append(f"{name}: the wrapper does not call {vba.UDF_MODULE}.{name}")
    return problems


def test_every_worksheet_function_wrapper_matches_its_python_function(modules: dict[str, str]) -> None:
    functions = vba.registered_functions()
    assert _wrapper_mismatches(modules["ICSFunctions"], functions) == []
    udfs = importlib.import_module(vba.UDF_MODULE)
    for name in functions:
        assert callable(getattr(udfs, name, None)), f"{vba.UDF_MODULE} has no {name}"

    first = sorted(functions)[0]
    mutated = modules["ICSFunctions"].replace(f"Function {first}(", f"Function {first}_OLD(", 1)
    assert f"{first}: no VBA wrapper" in _wrapper_mismatches(mutated, functions)
    optional = next(p.name for f in functions.values() for p in f.parameters if p.optional and not p.repeating)
    mutated = modules["ICSFunctions"].replace(f"Optional {optional}", optional, 1)
    assert any("VBA declares" in problem for problem in _wrapper_mismatches(mutated, functions))


def test_the_xlwings_runtime_is_the_pinned_one_with_our_project_name(modules: dict[str, str]) -> None:
    runtime = modules["xlwings"]
    pinned = vba_sources.pinned_xlwings_version()
    assert pinned == "0.37.8"
    assert f'Declare PtrSafe Function XLPyDLLActivateAuto Lib "xlwings64-{pinned}.dll"' in runtime
    assert 'Public Const PROJECT_NAME As String = "icsbench"' in runtime
    declared = {p.name for p in vba.procedures(runtime)}
    assert {"XLPy", "RunPython", "GetConfig"} <= declared  # what the wrappers and the ribbon call


def test_a_different_xlwings_than_the_pin_stops_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    import xlwings

    monkeypatch.setattr(xlwings, "__version__", "0.30.0")
    with pytest.raises(BuildError, match=r"xlwings 0\.30\.0 is installed but 0\.37\.8 is pinned"):
        vba_sources.xlwings_runtime_source()


# ---------------------------------------------------------------------------------------- MS-OVBA and MS-CFB layout


def _records(data: bytes) -> list[tuple[int, bytes]]:
    """The dir stream's records (MS-OVBA 2.3.4.2); PROJECTVERSION's size field is a constant 4 with 6 bytes after."""
    records, position = [], 0
    while position < len(data):
        record_id, size = struct.unpack_from("<HI", data, position)
        if record_id == 0x0009:
            size = 6
        records.append((record_id, data[position + 6 : position + 6 + size]))
        position += 6 + size
    return records


def _decrypt(text: str) -> tuple[int, int, bytes]:
    """MS-OVBA 2.4.3.3 data decryption, written from the spec: (version, project key, data)."""
    encrypted = bytes.fromhex(text)
    seed, version_enc, key_enc = encrypted[:3]
    unencrypted, encrypted_1, encrypted_2 = seed ^ key_enc, key_enc, version_enc
    plain = []
    for byte in encrypted[3:]:
        decrypted = byte ^ ((encrypted_2 + unencrypted) & 0xFF)
        plain.append(decrypted)
        encrypted_2, encrypted_1, unencrypted = encrypted_1, byte, decrypted
    rest = bytes(plain[(seed & 6) // 2 :])
    length = struct.unpack_from("<I", rest)[0]
    assert len(rest) == 4 + length
    return seed ^ version_enc, seed ^ key_enc, rest[4:]


def _project_fields(ole: olefile.OleFileIO) -> dict[str, str]:
    lines = ole.openstream("PROJECT").read().decode("cp1252").split("\r\n")
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("&H"))


def test_the_decryption_used_below_reads_excels_own_protection_fields() -> None:
    import xlwings

    excel_made = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"
    with zipfile.ZipFile(excel_made) as package:
        ole = olefile.OleFileIO(io.BytesIO(package.read("xl/vbaProject.bin")))
    fields = _project_fields(ole)
    project_key = sum(fields["ID"].strip('"').encode()) & 0xFF
    assert _decrypt(fields["CMG"].strip('"')) == (2, project_key, bytes(4))
    assert _decrypt(fields["DPB"].strip('"')) == (2, project_key, b"\x00")
    assert _decrypt(fields["GC"].strip('"')) == (2, project_key, b"\xff")


def test_the_vba_project_streams_follow_ms_ovba(xlam: Path) -> None:
    ole = _vba_project(xlam)
    assert ole.parsing_issues == []
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("cc61ffff000100")  # no cache: compile source
    records = _records(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    values = dict(records)
    assert values[0x0004] == b"ICSBenchmarking"
    assert struct.unpack("<H", values[0x0003]) == (1252,)
    assert struct.unpack("<H", values[0x000F]) == (len(MODULES),)
    names = [data.decode() for record_id, data in records if record_id == 0x0019]
    kinds = [record_id for record_id, _ in records if record_id in (0x0021, 0x0022)]
    assert dict(zip(names, kinds, strict=True)) == {
        "ThisWorkbook": 0x22,
        "Sheet1": 0x22,
        "xlwings": 0x21,
        "ICSFunctions": 0x21,
        "ICSRibbon": 0x21,
    }
    assert [data for record_id, data in records if record_id == 0x0031] == [bytes(4)] * len(MODULES)
    assert records[-1] == (0x0010, b"")

    fields = _project_fields(ole)
    project_key = sum(fields["ID"].strip('"').encode()) & 0xFF
    assert _decrypt(fields["CMG"].strip('"')) == (2, project_key, bytes(4))  # not protected
    assert _decrypt(fields["DPB"].strip('"')) == (2, project_key, b"\x00")  # no password
    assert _decrypt(fields["GC"].strip('"')) == (2, project_key, b"\xff")  # visible
    lines = ole.openstream("PROJECT").read().decode("cp1252").split("\r\n")
    assert [line for line in lines if line.startswith(("Document=", "Module="))] == [
        "Document=ThisWorkbook/&H00000000",
        "Document=Sheet1/&H00000000",
        "Module=xlwings",
        "Module=ICSFunctions",
        "Module=ICSRibbon",
    ]
    wm = ole.openstream("PROJECTwm").read()
    assert all(name.encode() + b"\x00" + name.encode("utf-16-le") + b"\x00\x00" in wm for name in MODULES)


def _check_red_black(ole: olefile.OleFileIO) -> int:
    """Assert each storage's children form a red-black tree ordered as MS-CFB 2.6.4 says; returns how many trees."""
    entries = ole.direntries
    trees = 0

    def walk(sid: int) -> tuple[list[str], int]:
        if sid == olefile.NOSTREAM:
            return [], 1
        entry = entries[sid]
        for child in (entry.sid_left, entry.sid_right):
            if entry.color == RED and child != olefile.NOSTREAM:
                assert entries[child].color == BLACK, f"red {entry.name} has a red child"
        left, left_black = walk(entry.sid_left)
        right, right_black = walk(entry.sid_right)
        assert left_black == right_black, f"unequal black heights under {entry.name}"
        return [*left, entry.name, *right], left_black + (entry.color == BLACK)

    for entry in entries:
        if entry is not None and entry.entry_type in (olefile.STGTY_ROOT, olefile.STGTY_STORAGE):
            names, _ = walk(entry.sid_child)
            assert names == sorted(names, key=lambda n: (len(n), n.upper())), names
            assert entries[entry.sid_child].color == BLACK
            trees += 1
    return trees


def test_the_compound_file_directory_is_a_valid_red_black_tree(xlam: Path) -> None:
    assert _check_red_black(_vba_project(xlam)) == 2


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 40])
def test_compound_files_of_any_shape_read_back(count: int) -> None:
    sizes = [0, 1, 63, 64, 65, 4095, 4096, 4097, 9000]
    streams = {f"S/stream{i:02}": bytes([i]) * sizes[i % len(sizes)] for i in range(count)}
    streams["top"] = b"root level"
    ole = olefile.OleFileIO(io.BytesIO(compound_file(streams)), raise_defects=olefile.DEFECT_INCORRECT)
    assert ole.parsing_issues == []
    for path, data in streams.items():
        assert ole.openstream(path).read() == data, path
    assert _check_red_black(ole) == 2


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3600) | st.text(alphabet="ab\r\n Sub End", max_size=20000).map(str.encode))
def test_compression_round_trips_through_olevba(data: bytes) -> None:
    assert decompress_stream(bytearray(ovba.compress(data))) == data


def test_compression_edges() -> None:
    random_chunk = bytes((i * 7919 + (i >> 3) * 104729) % 251 for i in range(4096))
    for data in (b"", b"x" * 4096, b"x" * 4097, random_chunk, random_chunk * 2, os.urandom(4096) + b"tail"):
        compressed = ovba.compress(data)
        assert decompress_stream(bytearray(compressed)) == data
    repetitive = b"Attribute VB_Name = 1\r\n" * 500
    assert len(ovba.compress(repetitive)) < len(repetitive) / 10  # copy tokens are used, not only literals
    with pytest.raises(BuildError, match="final chunk"):
        ovba.compress(os.urandom(4000))


# ---------------------------------------------------------------------------------------------------- LibreOffice


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    assert found, "LibreOffice is needed (scripts/install installs libreoffice-calc-nogui)"
    return found


@pytest.mark.slow
def test_libreoffice_opens_the_addin_and_reads_its_vba_project(xlam: Path, tmp_path: Path) -> None:
    source = tmp_path / "addin.xlam"
    shutil.copyfile(xlam, source)
    profile = (tmp_path / "profile").as_uri()
    result = subprocess.run(
        [
            _soffice(),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--infilter=Calc MS Excel 2007 VBA XML",
            "--convert-to",
            "ods",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    converted = tmp_path / "addin.ods"
    assert converted.exists(), result.stdout + result.stderr
    with zipfile.ZipFile(converted) as document:
        content = document.read("content.xml").decode()
        basic = {
            name.rsplit("/", 1)[-1].removesuffix(".xml"): document.read(name).decode()
            for name in document.namelist()
            if name.startswith("Basic/ICSBenchmarking/") and not name.endswith("script-lb.xml")
        }
    assert 'table:name="About"' in content and "ICS Benchmarking add-in" in content
    assert sorted(basic) == sorted(MODULES)  # LibreOffice read the project name and every module from the dir stream
    assert 'script:moduleType="document"' in basic["ThisWorkbook"]
    assert 'script:moduleType="normal"' in basic["ICSRibbon"]
    for name in ("OnRibbonLoad", "OnRibbonAction"):
        assert f"Public Sub {name}(" in basic["ICSRibbon"]
    for function in vba.registered_functions():
        assert f"Function {function}(" in basic["ICSFunctions"]
    assert "Public Function RunPython(PythonCommand As String)" in basic["xlwings"]
