"""The store's reference tables: made from the bundled lists, and rebuilt on open when the lists have changed since."""

from __future__ import annotations

from engine import reference, sql_files
from engine.store import open_store
from tests.conftest import Workspace


def test_a_new_store_holds_every_bundled_list(workspace: Workspace) -> None:
    open_store(workspace.config).close()
    chapters = workspace.query("SELECT chapter_kind, count(*) FROM ref_hrg_chapter GROUP BY 1 ORDER BY 1")
    groups = [g for g in reference.currency_groups() if g not in (reference.NO_CURRENCY, reference.OTHER_CURRENCY)]
    assert chapters == [
        ("currency_group", len(groups)),
        ("hrg4_chapter", len(reference.hrg_chapters())),
        ("no_currency", 1),
        ("unrecognised", 1),
    ]
    assert workspace.query("SELECT count(*) FROM ref_hrg_subchapter") == [(len(reference.hrg_subchapters()),)]
    assert workspace.query("SELECT count(*) FROM ref_currency_prefix") == [(len(reference.currency_prefixes()),)]
    assert workspace.query("SELECT tfc_name FROM ref_tfc WHERE tfc = '110'") == [("Trauma and Orthopaedic Service",)]
    assert workspace.query(
        "SELECT hrg_subchapter_name, hrg_chapter, name_source FROM ref_hrg_subchapter WHERE hrg_subchapter = 'HT'"
    ) == [("Orthopaedic Trauma Procedures", "H", "listed")]


def test_a_store_made_before_a_list_changed_rebuilds_its_reference_tables_on_open(workspace: Workspace) -> None:
    store = open_store(workspace.config)
    try:
        store.con.execute("INSERT INTO ref_tfc VALUES ('998', 'Added by hand')")
    finally:
        store.close()
    open_store(workspace.config).close()
    assert workspace.query("SELECT count(*) FROM ref_tfc WHERE tfc = '998'") == [(1,)], "same lists: kept as they are"

    store = open_store(workspace.config)
    try:  # as an earlier icsbench left it: no fingerprint, and a reference table it did not have yet
        store.con.execute("DELETE FROM meta WHERE key = 'reference_data'")
        store.con.execute("DROP TABLE ref_hrg_subchapter")
    finally:
        store.close()
    open_store(workspace.config).close()
    assert workspace.query("SELECT count(*) FROM ref_tfc WHERE tfc = '998'") == [(0,)]
    assert workspace.query("SELECT count(*) FROM ref_hrg_subchapter") == [(len(reference.hrg_subchapters()),)]
    expected = reference.fingerprint(reference.BUNDLED_LISTS, extra=sql_files.read("store/reference.sql"))
    assert workspace.query("SELECT value FROM meta WHERE key = 'reference_data'") == [(expected,)]
