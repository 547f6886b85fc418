"""The bundled code lists: read as the national schedule is read (BOM, padded values), checked, and complete for the
national schedule and the synthetic ICS."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine import reference, schema
from engine.errors import ReferenceDataError

HRG4_SHAPE = re.compile(schema.HRG_PATTERN)


def _write(tmp_path: Path, text: str, name: str = "list.csv") -> Path:
    """A CSV as a spreadsheet saves it: UTF-8 with a byte order mark, Windows line ends (the loaders cache by path:
    one file name per list)."""
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    return path


def test_the_lists_are_read_through_a_byte_order_mark_and_padded_values(tmp_path: Path) -> None:
    chapters = _write(tmp_path, " chapter , chapter_name \n H ,  Musculoskeletal System \n\n,\n", "chapters.csv")
    assert reference.hrg_chapters(chapters) == (reference.Named("H", "Musculoskeletal System"),)
    subchapters = _write(
        tmp_path,
        "subchapter,subchapter_name,name_source\nHT , Orthopaedic Trauma Procedures ,listed\n",
        "subchapters.csv",
    )
    [subchapter] = reference.hrg_subchapters(subchapters)
    assert (subchapter.code, subchapter.name, subchapter.chapter) == ("HT", "Orthopaedic Trauma Procedures", "H")
    tfcs = _write(tmp_path, "tfc,tfc_name\n 110 ,Trauma and Orthopaedic Service  \n", "tfcs.csv")
    assert reference.treatment_functions(tfcs) == (reference.Named("110", "Trauma and Orthopaedic Service"),)
    groups = _write(
        tmp_path, "prefix,currency_group,currency_group_name,covers\n MH ,mental_health, Mental health currency ,MHCC\n"
    )
    assert reference.currency_prefixes(groups) == (
        reference.CurrencyPrefix("MH", "mental_health", "Mental health currency", "MHCC"),
    )
    assert reference.currency_groups(groups) == (
        reference.Named("mental_health", "Mental health currency"),
        reference.NO_CURRENCY,
        reference.OTHER_CURRENCY,
    )


@pytest.mark.parametrize(
    ("loader", "text", "message"),
    [
        (reference.hrg_chapters, "chapter\nH\n", "no column chapter_name"),
        (reference.hrg_chapters, "chapter,chapter_name\nH,Musculoskeletal System\nH,Again\n", "row 3: chapter H"),
        (reference.hrg_chapters, "chapter,chapter_name\nH,\n", "row 2, column chapter_name: blank"),
        (reference.hrg_chapters, "chapter,chapter_name\nHT,Two letters\n", "'HT' is not one capital letter"),
        (reference.hrg_subchapters, "subchapter,subchapter_name,name_source\nHT,Trauma,guessed\n", "'guessed'"),
        (reference.hrg_subchapters, "subchapter,subchapter_name,name_source\nH1,Trauma,listed\n", "two capital"),
        (reference.treatment_functions, "tfc,tfc_name\n11,Short\n", "'11' is not a three digit"),
        (
            reference.currency_prefixes,
            "prefix,currency_group,currency_group_name,covers\nN,community,Community,x\nN0,community,Community,y\n",
            "prefix N begins prefix N0",
        ),
        (
            reference.currency_prefixes,
            "prefix,currency_group,currency_group_name,covers\nMH,mental_health,One,x\nIAPT,mental_health,Two,y\n",
            "called both 'One' and 'Two'",
        ),
        (
            reference.currency_prefixes,
            "prefix,currency_group,currency_group_name,covers\nZZ,other,Other,x\n",
            "currency group other is kept",
        ),
    ],
)
def test_a_malformed_list_is_refused_naming_the_file_and_the_fault(
    tmp_path: Path, loader: Callable[[Path], Any], text: str, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ReferenceDataError, match=re.escape(message)) as caught:
        loader(path)
    assert str(path) in str(caught.value)


def _schedule_hrgs() -> set[str]:
    return {r.currency for r in reference.national_schedule() if HRG4_SHAPE.match(r.currency)}


def test_every_hrg_of_the_national_schedule_has_a_named_chapter_and_subchapter() -> None:
    chapters = {c.code for c in reference.hrg_chapters()}
    subchapters = {s.code: s for s in reference.hrg_subchapters()}
    hrgs = _schedule_hrgs()
    assert len(hrgs) > 2000
    assert sorted({h[0] for h in hrgs} - chapters) == []
    assert sorted({h[:2] for h in hrgs} - set(subchapters)) == []
    assert sorted(s for s in subchapters.values() if s.chapter not in chapters) == []


def test_a_derived_subchapter_name_is_its_chapter_name_and_code() -> None:
    chapters = {c.code: c.name for c in reference.hrg_chapters()}
    derived = [s for s in reference.hrg_subchapters() if s.name_source == "derived"]
    assert derived, "the list says which names no source confirmed"
    assert [s.name for s in derived] == [f"{chapters[s.chapter]} (subchapter {s.code})" for s in derived]


def test_every_other_currency_of_the_national_schedule_is_in_exactly_one_currency_group() -> None:
    prefixes = reference.currency_prefixes()
    others = {r.currency for r in reference.national_schedule()} - _schedule_hrgs()
    assert {"MHCC", "MHPS", "N02AF", "IAPT", "WCC01", "DEV01", "PATH01", "01"} <= others
    matches = {code: [p.group for p in prefixes if code.startswith(p.prefix)] for code in others}
    assert {code: groups for code, groups in matches.items() if len(groups) != 1} == {}
    assert {matches["MHCC"][0], matches["MHPS"][0], matches["N02AF"][0]} == {"mental_health", "community"}


def test_no_currency_group_is_named_like_an_hrg_chapter() -> None:
    chapters = {c.code for c in reference.hrg_chapters()}
    groups = [g.code for g in reference.currency_groups()]
    assert set(groups) & chapters == set()
    assert len(groups) == len(set(groups))
    assert all(g.islower() for g in groups), "a group reads as a word, a chapter as one capital letter"


def test_the_treatment_function_list_names_the_common_services() -> None:
    names = {t.code: t.name for t in reference.treatment_functions()}
    assert len(names) > 150
    assert names["110"] == "Trauma and Orthopaedic Service"
    assert names["300"] == "General Internal Medicine Service"
    assert names["502"] == "Gynaecology Service"
