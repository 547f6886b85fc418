"""The .xlam file: xlsxwriter's workbook parts around the VBA project, rewritten as an add-in with the ribbon part.

xlsxwriter's `add_vba_project` is the documented way to ship a vbaProject.bin; the zip it writes is then rewritten with
the add-in content type, the ribbon part and its relationship, in a fixed order with fixed timestamps.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from importlib import metadata

from addin.xlam import BuildError
from addin.xlam.vba_sources import CONFIG_NAME, pinned_xlwings_version

CUSTOMUI_RELATIONSHIP = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
CUSTOMUI_PART = "customUI/customUI14.xml"
ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
MACRO_WORKBOOK_CONTENT_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
FIXED_TIME = datetime(2024, 1, 1)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


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


def xlam(vba_project: bytes, ribbon: bytes) -> bytes:
    """The add-in file holding this `xl/vbaProject.bin` and this ribbon XML."""
    return _as_addin(_workbook(vba_project), ribbon)
