"""The ribbon (`addin/excel/customUI14.xml`, namespace customUI 2009/07), read and checked against the VBA project.

Excel rejects a ribbon with duplicate ids, and a click on a button whose callback is not a public Sub of the VBA
project fails only when the user clicks it; `ribbon_problems` finds both before the add-in is built.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

from addin import vba
from addin.xlam import BuildError
from addin.xlam.ovba import Module

EXCEL_DIR = Path(__file__).resolve().parents[1] / "excel"
RIBBON_PATH = EXCEL_DIR / "customUI14.xml"
CUSTOMUI_NAMESPACE = "http://schemas.microsoft.com/office/2009/07/customui"


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
