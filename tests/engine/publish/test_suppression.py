"""Small-number suppression: no published row leaks a small count, and nothing it shows is altered."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.metrics import catalog
from engine.metrics.catalog import ColumnDoc
from engine.publish import secondary
from engine.publish.suppression import SuppressionRule, dominated, suppress
from engine.store import open_store

COLUMNS = (
    ColumnDoc("org_code", "key", "provider"),
    ColumnDoc("activity", "count", "records"),
    ColumnDoc("total_cost", "from", "cost", "activity", total=True),
    ColumnDoc("mean_cost", "from", "average", "activity"),
    ColumnDoc("ics_activity", "count", "records in the ICS"),
    ColumnDoc("ics_mean_cost", "from", "ICS average", "ics_activity"),
    ColumnDoc("national_mean_cost", "shown", "national price"),
)

rules = st.builds(
    SuppressionRule,
    enabled=st.just(True),
    smallest_shown=st.integers(min_value=1, max_value=20),
    round_to=st.integers(min_value=1, max_value=10),
)
money = st.one_of(st.none(), st.floats(min_value=-1e7, max_value=1e7, allow_nan=False))
rows = st.lists(
    st.tuples(
        st.sampled_from(["ZZA", "ZZB", "ZZC"]),
        st.one_of(st.none(), st.integers(min_value=0, max_value=500)),
        money,
        money,
        st.one_of(st.none(), st.integers(min_value=0, max_value=5000)),
        money,
        money,
    ),
    max_size=60,
)


def _to_the_penny(shown: float | None, full: float | None) -> bool:
    """A rate is published rounded to two decimal places."""
    if shown is None or full is None:
        return shown is None and full is None
    return abs(shown - full) <= 0.005 + 1e-9 * max(1.0, abs(full)) and abs(shown * 100 - round(shown * 100)) < 1e-6


def _table(data: list[tuple[Any, ...]]) -> pa.Table:
    names = [c.name for c in COLUMNS]
    types = [pa.string(), pa.int64(), pa.float64(), pa.float64(), pa.int64(), pa.float64(), pa.float64()]
    return pa.table(
        {n: pa.array([r[i] for r in data], type=t) for i, (n, t) in enumerate(zip(names, types, strict=True))}
    )


@settings(max_examples=300, deadline=None)
@given(data=rows, rule=rules)
def test_what_is_published_shows_only_rounded_counts_and_no_figure_beside_a_hidden_one(
    data: list[tuple[Any, ...]], rule: SuppressionRule
) -> None:
    """Judged on the published rows alone, as someone outside the costing team sees them."""
    for row in suppress(_table(data), COLUMNS, rule).to_pylist():
        for count, figures in (("activity", ("total_cost", "mean_cost")), ("ics_activity", ("ics_mean_cost",))):
            if row[count] is None:
                assert all(row[f] is None for f in figures)
            else:
                assert row[count] % rule.round_to == 0


@settings(max_examples=300, deadline=None)
@given(data=rows, rule=rules)
def test_suppression_hides_exactly_the_small_cells_and_changes_nothing_it_shows(
    data: list[tuple[Any, ...]], rule: SuppressionRule
) -> None:
    original = _table(data).to_pylist()
    published = suppress(_table(data), COLUMNS, rule).to_pylist()
    assert len(published) == len(original)
    for full, shown in zip(original, published, strict=True):
        for count, figures in (("activity", ("total_cost", "mean_cost")), ("ics_activity", ("ics_mean_cost",))):
            small = full[count] is None or 0 < full[count] < rule.smallest_shown
            if small:
                assert shown[count] is None
                assert all(shown[f] is None for f in figures)
            else:
                for f in figures:
                    if f == "total_cost" and full[count] and full[f] is not None:
                        # a total is published at the rounded count
                        assert shown[f] == pytest.approx(full[f] * shown[count] / full[count], rel=1e-9, abs=1e-9)
                    elif f != "total_cost" or full[f] is None:
                        assert _to_the_penny(shown[f], full[f])
                if full[count] is not None:
                    assert abs(shown[count] - full[count]) <= rule.round_to / 2
                    assert shown[count] % rule.round_to == 0
        assert shown["org_code"] == full["org_code"]
        assert shown["national_mean_cost"] == full["national_mean_cost"]


@given(count=st.integers(min_value=1, max_value=7))
def test_hes_defaults_hide_one_to_seven_and_round_the_rest_to_five(count: int) -> None:
    rule = SuppressionRule()
    table = _table([("ZZA", count, 10.0, 10.0, count + 8, 1.0, 2.0)])
    [row] = suppress(table, COLUMNS, rule).to_pylist()
    assert row["activity"] is None and row["total_cost"] is None and row["mean_cost"] is None
    assert row["ics_activity"] in (10, 15)
    assert row["ics_mean_cost"] == 1.0


def test_a_total_is_published_at_the_rounded_count_so_total_over_mean_gives_the_rounded_count() -> None:
    """The issue's example: 9 records shown as 10 with an exact total and mean gave 9 back; now it gives 10."""
    table = _table([("ZZB", 9, 2934.49, 2934.49 / 9, 40, 300.0, 310.0)])
    [row] = suppress(table, COLUMNS, SuppressionRule()).to_pylist()
    assert row["activity"] == 10
    assert row["mean_cost"] == 326.05
    assert row["total_cost"] == pytest.approx(2934.49 * 10 / 9)
    assert round(row["total_cost"] / row["mean_cost"]) == 10


BENCHMARK_COLUMNS = (
    ColumnDoc("hrg", "key", "HRG"),
    ColumnDoc("org_code", "key", "provider"),
    ColumnDoc("activity", "count", "records"),
    ColumnDoc("mean_cost", "from", "average", "activity"),
    ColumnDoc("ics_median_cost", "benchmark", "median of the providers"),
    ColumnDoc("opportunity_vs_median", "from", "against the median", "activity", total=True, against="ics_median_cost"),
)


def _benchmark_table(rows: list[tuple[str, str, int, float, float, float]]) -> pa.Table:
    names = [c.name for c in BENCHMARK_COLUMNS]
    return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)})


def test_a_median_is_shown_only_where_three_or_more_providers_are_all_shown() -> None:
    """The issue's echo: a cell whose median is the one hidden provider's own cost."""
    rows = [
        ("LA05Z", "ZZA", 40, 900.0, 1039.88, 0.0),
        ("LA05Z", "ZZB", 1, 1039.88, 1039.88, 0.0),  # hidden: its cost is the median
        ("LA05Z", "ZZC", 50, 1200.0, 1039.88, 8000.0),
        ("WH50A", "ZZA", 40, 300.0, 320.0, 0.0),
        ("WH50A", "ZZB", 30, 320.0, 320.0, 0.0),
        ("WH50A", "ZZC", 20, 340.0, 320.0, 400.0),
        ("FE35Z", "ZZA", 40, 300.0, 310.0, 0.0),
        ("FE35Z", "ZZC", 20, 320.0, 310.0, 200.0),  # two providers: the median is their average
    ]
    shown = suppress(_benchmark_table(rows), BENCHMARK_COLUMNS, SuppressionRule()).to_pylist()
    by_cell = {(r["hrg"], r["org_code"]): r for r in shown}
    assert all(by_cell[("LA05Z", org)]["ics_median_cost"] is None for org in ("ZZA", "ZZB", "ZZC"))
    assert by_cell[("LA05Z", "ZZC")]["opportunity_vs_median"] is None  # would give the median back
    assert by_cell[("LA05Z", "ZZC")]["mean_cost"] == 1200.0
    assert all(by_cell[("WH50A", org)]["ics_median_cost"] == 320.0 for org in ("ZZA", "ZZB", "ZZC"))
    assert by_cell[("WH50A", "ZZC")]["opportunity_vs_median"] == pytest.approx(400.0)
    assert all(by_cell[("FE35Z", org)]["ics_median_cost"] is None for org in ("ZZA", "ZZC"))


def test_rows_chosen_by_secondary_suppression_are_hidden_like_small_ones() -> None:
    table = _table([("ZZA", 30, 300.0, 10.0, 100, 1.0, 2.0), ("ZZB", 40, 400.0, 10.0, 100, 1.0, 2.0)])
    more = {"activity": pa.array([False, True])}
    first, second = suppress(table, COLUMNS, SuppressionRule(), more).to_pylist()
    assert first["activity"] == 30 and first["total_cost"] == 300.0
    assert second["activity"] is None and second["total_cost"] is None and second["mean_cost"] is None
    assert second["ics_activity"] == 100


def test_rounding_of_a_few_hand_checked_counts() -> None:
    rule = SuppressionRule()
    counts = [0, 7, 8, 12, 13, 17, 18, 1234]
    table = _table([("ZZA", n, 1.0, 1.0, 100, 1.0, 1.0) for n in counts])
    shown = [r["activity"] for r in suppress(table, COLUMNS, rule).to_pylist()]
    assert shown == [0, None, 10, 10, 15, 15, 20, 1235]


def test_switched_off_suppression_publishes_the_full_figures() -> None:
    table = _table([("ZZA", 3, 10.0, 10.0, 3, 1.0, 2.0)])
    assert suppress(table, COLUMNS, SuppressionRule(enabled=False)) == table


def test_a_column_without_a_declared_role_is_refused() -> None:
    table = _table([("ZZA", 30, 10.0, 10.0, 30, 1.0, 2.0)]).append_column("surprise", pa.array([1]))
    with pytest.raises(ValueError, match="surprise"):
        suppress(table, COLUMNS, SuppressionRule())


def test_every_published_table_of_a_real_refresh_hides_its_small_counts(refreshed_ics: Any) -> None:
    _, config = refreshed_ics
    rule = SuppressionRule.from_config(config.suppression)
    store = open_store(config, read_only=True)
    try:
        for metric in catalog.published():
            results = store.con.sql(f"SELECT * FROM {metric.table}").to_arrow_table()
            full = results.to_pylist()
            dominance_hid = {name: hid.to_pylist() for name, hid in dominated(results, metric.columns, rule).items()}
            shown = store.con.sql(f"SELECT * FROM {metric.published_table}").to_arrow_table().to_pylist()
            assert len(shown) == len(full), metric.name
            withheld = {c.name for c in metric.columns if c.role == "dominance"}
            assert not withheld & set(shown[0] if shown else {}), metric.name  # read by the rules, never published
            counts = [c for c in metric.columns if c.role == "count"]
            if not counts:
                # A dimension (dim_*): codes and names only, nothing about patients, published as it is.
                assert {c.role for c in metric.columns} <= {"key", "shown"}, metric.name
                assert shown == full, metric.name
            for row, (before, after) in enumerate(zip(full, shown, strict=True)):
                for count in counts:
                    small = before[count.name] is None or 0 < before[count.name] < rule.smallest_shown
                    # secondary suppression hides rows of the tables in its margins and of those stating their costs
                    # again, parts of a row adding up to its total (and the total), and ICS counts that would narrow
                    # a hidden provider count (any table)
                    secondary_hid = after[count.name] is None and (
                        metric.name in secondary.TABLES
                        or metric.name in secondary.RESTATED_COUNTS
                        or metric.name in secondary.ROW_TOTALS
                        or count.name.startswith("ics_")
                    )
                    # hidden by the dominance rule (rule 5), in any table that carries its figures
                    dominated_rows = dominance_hid.get(count.name)
                    dominated_hid = after[count.name] is None and dominated_rows is not None and dominated_rows[row]
                    assert (
                        after[count.name] is None
                        if small
                        else after[count.name] is not None
                        or before[count.name] is None
                        or secondary_hid
                        or dominated_hid
                    )
                    for figure in (c for c in metric.columns if c.source == count.name and c.published):
                        value, was = after[figure.name], before[figure.name]
                        if small:
                            assert value is None, (metric.name, figure.name)
                        elif value is None and was is not None:  # hidden by secondary suppression or with a benchmark
                            assert after[count.name] is None or figure.against, (metric.name, figure.name)
                        elif value is None:
                            continue
                        elif figure.total and before[count.name]:
                            factor = float(after[count.name]) / float(before[count.name])
                            # a whole-number total is rounded to a whole number
                            whole = isinstance(was, int) or (isinstance(was, Decimal) and was.as_tuple().exponent == 0)
                            assert float(value) == pytest.approx(float(was) * factor, abs=0.5 if whole else 0.006)
                        elif isinstance(was, float):
                            assert _to_the_penny(value, was), (metric.name, figure.name)
    finally:
        store.close()


DOMINANCE_COLUMNS = (
    *COLUMNS[:3],
    ColumnDoc("dominance_cost", "dominance", "cost", "activity", part="total"),
    ColumnDoc("dominance_largest", "dominance", "largest", "activity", part="largest"),
    ColumnDoc("dominance_second", "dominance", "second", "activity", part="second"),
    ColumnDoc("dominance_contributors", "dominance", "contributors", "activity", part="contributors"),
)


def _dominance_table(rows: list[tuple[str, int, float, float, float]]) -> pa.Table:
    """Rows of (provider, records, cost, largest, second); the cost is the cell's and its total, and each record is a
    patient of its own (the contributors are the records)."""
    return pa.table(
        {
            "org_code": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "total_cost": [r[2] for r in rows],
            "dominance_cost": [r[2] for r in rows],
            "dominance_largest": [r[3] for r in rows],
            "dominance_second": [r[4] for r in rows],
            "dominance_contributors": [r[1] for r in rows],
        }
    )


def test_a_cell_one_or_two_records_dominate_is_hidden_and_its_figures_never_published() -> None:
    rows = [
        ("ZZA", 20, 10_000.0, 600.0, 550.0),  # even: published
        ("ZZB", 20, 10_000.0, 9_000.0, 100.0),  # p%: the other 18 hold 900 < 10% of 9,000
        ("ZZC", 20, 10_000.0, 5_000.0, 3_600.0),  # nk: the largest two hold 86% >= 85%
        ("ZZD", 20, 10_000.0, 4_000.0, 4_000.0),  # 80%, and the rest 2,000 >= 400: published
        ("ZZE", 20, 10_000.0, 4_600.0, 4_000.0),  # the rest 1,400 >= 460 and 86% again: nk hides it
        ("ZZF", 0, 0.0, 0.0, 0.0),  # nothing to protect
    ]
    shown = suppress(_dominance_table(rows), DOMINANCE_COLUMNS, SuppressionRule()).to_pylist()
    assert set(shown[0]) == {"org_code", "activity", "total_cost"}
    hidden = [r["org_code"] for r in shown if r["total_cost"] is None]
    assert hidden == ["ZZB", "ZZC", "ZZE"]
    assert all(r["activity"] is None for r in shown if r["org_code"] in hidden)
    assert shown[0]["total_cost"] == 10_000.0 and shown[3]["activity"] == 20 and shown[5]["total_cost"] == 0.0


def test_the_dominance_parameters_come_from_the_config() -> None:
    rows = [("ZZB", 20, 10_000.0, 8_500.0, 500.0)]  # the rest 1,000 is 11.8% of the largest; the two hold 90%
    lenient = SuppressionRule(dominance_p_percent=10, dominance_k_percent=95)
    strict = SuppressionRule(dominance_p_percent=15, dominance_k_percent=95)
    assert suppress(_dominance_table(rows), DOMINANCE_COLUMNS, lenient).to_pylist()[0]["total_cost"] == 10_000.0
    assert suppress(_dominance_table(rows), DOMINANCE_COLUMNS, strict).to_pylist()[0]["total_cost"] is None


def test_the_dominance_figures_of_a_real_refresh_add_up_to_the_cells_they_guard(refreshed_ics: Any) -> None:
    """Each cell's dominance total is its published cost to the penny, and its two largest contributors fit inside
    it: the rule reads the same records the cell is built from, in every money table that carries the figures."""
    _, config = refreshed_ics
    store = open_store(config, read_only=True)
    try:
        for table, value, rows in (
            ("unit_cost_benchmark", "total_cost", 1000),
            ("cost_driver_benchmark", "driver_cost", 1000),
            ("los_benchmark", "total_cost", 1000),
            ("critical_care", "total_cost", 10),
        ):
            f = store.con.sql(f"SELECT * FROM results.{table}").df().astype({value: float})
            dominance = f.filter(like="dominance_").astype(float)
            assert len(f) > rows, table
            unguarded = dominance["dominance_cost"].isna() & (f[value] != 0)
            assert not unguarded.any(), table
            guarded = dominance[dominance["dominance_cost"].notna()]
            # by size: the cost itself where no record is a credit (most cells), never less than its size
            assert (guarded["dominance_cost"] >= f.loc[guarded.index, value].abs() - 0.005).all(), table
            same = (guarded["dominance_cost"] - f.loc[guarded.index, value]).abs() <= 0.005
            assert same.mean() > 0.9, table
            assert (guarded["dominance_largest"] >= guarded["dominance_second"]).all(), table
            assert (
                guarded["dominance_largest"] + guarded["dominance_second"] <= guarded["dominance_cost"] + 0.005
            ).all()
            if "ics_dominance_largest" in guarded:  # los_benchmark publishes no ICS money figure
                assert (guarded["ics_dominance_largest"] >= guarded["dominance_largest"]).all(), table
    finally:
        store.close()


def test_a_count_with_several_money_figures_is_hidden_where_any_of_them_is_dominated() -> None:
    """`dominance ... of activity for F`: clinical_support's one count carries pharmacy, imaging and pathology cost;
    the row is hidden where any one of them rests on one or two patients."""
    columns = [
        ColumnDoc("org_code", "key", "provider"),
        ColumnDoc("activity", "count", "records"),
        ColumnDoc("total_cost", "from", "cost", "activity", total=True),
        *[
            ColumnDoc(f"{figure}_{part}", "dominance", part, "activity", part=part, figure=figure)  # type: ignore[arg-type]
            for figure in ("pharmacy", "imaging")
            for part in ("total", "largest", "second", "contributors")
        ],
    ]
    spread, dominated_figure = (1000.0, 100.0, 100.0, 20), (1000.0, 900.0, 50.0, 20)
    rows = [("ZZA", spread, spread), ("ZZB", spread, dominated_figure), ("ZZC", dominated_figure, spread)]
    table = pa.table(
        {
            "org_code": [r[0] for r in rows],
            "activity": [20, 20, 20],
            "total_cost": [5000.0, 5000.0, 5000.0],
            **{
                f"{figure}_{part}": [r[1 + f][p] for r in rows]
                for f, figure in enumerate(("pharmacy", "imaging"))
                for p, part in enumerate(("total", "largest", "second", "contributors"))
            },
        }
    )
    assert dominated(table, columns, SuppressionRule())["activity"].to_pylist() == [False, True, True]
    shown = suppress(table, columns, SuppressionRule()).to_pylist()
    assert [r["total_cost"] for r in shown] == [5000.0, None, None]
    assert all(not name.endswith(("_total", "_largest", "_second")) for name in shown[0])


def test_clinical_supports_dominance_figures_add_up_to_the_costs_they_guard(refreshed_ics: Any) -> None:
    """Each provider's pharmacy, imaging and pathology cost in a clinical_support cell (cost per case x activity) is
    its dominance total wherever no record is a credit, and no cell with such a cost goes without its figures."""
    _, config = refreshed_ics
    store = open_store(config, read_only=True)
    try:
        f = store.con.sql("SELECT * FROM results.clinical_support").df()
    finally:
        store.close()
    assert len(f) > 100
    for figure in ("pharmacy", "imaging", "pathology"):
        cost = f[f"{figure}_cost_per_case"].astype(float) * f["activity"].astype(float)
        total = f[f"{figure}_dominance_cost"].astype(float)
        largest, second = (f[f"{figure}_dominance_{p}"].astype(float) for p in ("largest", "second"))
        assert not (total.isna() & (cost.abs() > 0.005)).any(), figure
        guarded = total.notna()
        assert guarded.sum() > 10, figure
        assert (total[guarded] >= cost[guarded].abs() - 0.01).all(), figure
        assert ((total[guarded] - cost[guarded]).abs() <= 0.01).mean() > 0.9, figure
        assert (largest[guarded] >= second[guarded]).all() and (largest + second <= total + 0.005)[guarded].all()
        ics_largest = f[f"ics_{figure}_dominance_largest"].astype(float)
        assert (ics_largest[guarded] >= largest[guarded]).all(), figure


@pytest.mark.parametrize(
    ("name", "ratios"),
    [
        ("deprivation_cost", ("cost_per_head_index",)),
        ("population_rates", ("activity_ratio_to_ics", "cost_ratio_to_ics")),
        ("gp_practice_cost", ("ratio_to_ics",)),
    ],
)
def test_a_ratio_to_the_ics_is_hidden_wherever_the_ics_figure_it_divides_by_is(
    name: str, ratios: tuple[str, ...]
) -> None:
    """A row's figure over the ICS's, shown beside the row's own figure, gives the ICS's back: where the ICS figures
    are hidden (here: one or two patients make up most of the ICS residents' cost), every ratio to them is too, though
    the row itself is large and undominated."""
    columns = catalog.metric(name).columns
    ics_dominance = {c.name for c in columns if c.role == "dominance" and c.source and c.source.startswith("ics_")}
    assert ics_dominance, name
    data: dict[str, list[Any]] = {}
    for c in columns:
        if c.role == "dominance":
            part = {"total": 1000.0, "largest": 100.0, "second": 100.0, "contributors": 50}[c.part or "total"]
            if c.name in ics_dominance:
                part = {"total": 1000.0, "largest": 900.0, "second": 50.0, "contributors": 50}[c.part or "total"]
            data[c.name] = [part]
        elif c.role == "count":
            data[c.name] = [500]
        elif c.role == "key":
            data[c.name] = ["x"]
        else:
            data[c.name] = [1.25]
    shown = suppress(pa.table(data), columns, SuppressionRule()).to_pylist()[0]
    ics_figures = [c.name for c in columns if c.name.startswith("ics_") and c.published and c.role != "count"]
    assert ics_figures and all(shown[f] is None for f in ics_figures), shown
    assert [shown[r] for r in ratios] == [None] * len(ratios)
    own = [c.name for c in columns if c.role == "from" and c.source in ("activity", "patients") and not c.against]
    assert own and all(shown[f] == 1.25 for f in own), shown  # the row's own figures stay
