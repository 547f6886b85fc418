"""The funnel's overdispersion, checked against a published worked example: FunnelPlotR (NHS-R Community, the R
implementation of Spiegelhalter 2005) tests six units with observed 100, 150, 180, 80, 120, 225 and expected 108, 112,
165, 95, 100, 220 and publishes phi = 2.948033 (tests/testthat/test-classes_methods.R). On the log scale, unit i's
ratio is O / E with standard error 1 / sqrt(E) and target 1, so its z-score is sqrt(E) log(O / E).

The example is fed to the second half of the benchmark method (sql/metrics/benchmark_cells.sql) as the scores the
first half would have made, with no winsorisation (FunnelPlotR's SHMI method drops no unit of six), and the SQL's phi,
tau-squared and limits are compared with the published phi and with FunnelPlotR's own formulas for the rest.
"""

from __future__ import annotations

import math

import duckdb
import pyarrow as pa
import pytest

from engine.metrics import catalog

OBSERVED = (100, 150, 180, 80, 120, 225)
EXPECTED = (108, 112, 165, 95, 100, 220)
PUBLISHED_PHI = 2.948033
Z_95 = 1.959964


def _scores() -> pa.Table:
    rows = []
    for number, (observed, expected) in enumerate(zip(OBSERVED, EXPECTED, strict=True)):
        ratio = observed / expected
        log_se = 1 / math.sqrt(expected)
        rows.append(
            {
                "family": "example",
                "fin_year": "2023/24",
                "setting": "",
                "pod": "",
                "tfc": "",
                "hrg": "",
                "detail": "",
                "org_code": f"ZZ{chr(ord('A') + number)}",
                "unit_of_count": "unit",
                "cases": expected,
                "units": float(expected),
                "value": float(observed),
                "rate": ratio,
                "ics_cases": sum(EXPECTED),
                "ics_units": float(sum(EXPECTED)),
                "ics_rate": 1.0,
                "ics_median_rate": 1.0,
                "providers": len(OBSERVED),
                "national_rate": None,
                "ics_national_rate": None,
                "national_basis": None,
                "log_se": log_se,
                "z": math.log(ratio) / log_se,
            }
        )
    return pa.Table.from_pylist(rows)


@pytest.fixture(scope="module")
def cells() -> dict[str, dict[str, object]]:
    con = duckdb.connect()
    con.register("benchmark_scores", _scores())
    con.execute("CREATE SCHEMA results")
    con.execute(
        "CREATE TABLE results.refresh_parameters AS SELECT 1 AS refresh_id, 10 AS best_in_system_min_cases, "
        f"10 AS headline_min_cases, {Z_95} AS funnel_z_95, 3.090232 AS funnel_z_99_8, "
        f"{Z_95} AS funnel_z_significant, 0.0 AS overdispersion_winsorise"
    )
    cursor = con.execute(catalog.metric("benchmark_cells").query)
    columns = [d[0] for d in cursor.description]
    return {row[columns.index("org_code")]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}


def test_phi_is_the_published_figure(cells: dict[str, dict[str, object]]) -> None:
    phis = {round(float(c["overdispersion_phi"]), 6) for c in cells.values()}  # type: ignore[arg-type]
    assert phis == {PUBLISHED_PHI}


def test_tau_squared_and_limits_follow_funnelplotr(cells: dict[str, dict[str, object]]) -> None:
    # FunnelPlotR's tau_func: max(0, (n phi - (n - 1)) / (sum(1 / S^2) - sum((1 / S^2)^2) / sum(1 / S^2)))
    n = len(EXPECTED)
    z = [math.sqrt(e) * math.log(o / e) for o, e in zip(OBSERVED, EXPECTED, strict=True)]
    phi = sum(v * v for v in z) / n
    weights = [float(e) for e in EXPECTED]  # 1 / S^2 = E
    tau2 = max(0.0, (n * phi - (n - 1)) / (sum(weights) - sum(w * w for w in weights) / sum(weights)))
    assert tau2 > 0
    for org, expected in zip(sorted(cells), EXPECTED, strict=True):
        cell = cells[org]
        assert cell["overdispersion_tau2"] == pytest.approx(tau2, rel=1e-12)
        # SR limits on the log scale, back-transformed: target x exp(+-z sqrt(S^2 + tau^2))
        spread = math.sqrt(1 / expected + tau2)
        assert cell["funnel_upper_95"] == pytest.approx(math.exp(Z_95 * spread), rel=1e-12)
        assert cell["funnel_lower_95"] == pytest.approx(math.exp(-Z_95 * spread), rel=1e-12)
        assert cell["funnel_z"] == pytest.approx(math.log(OBSERVED[EXPECTED.index(expected)] / expected) / spread)


def test_overdispersion_turns_an_apparent_outlier_into_noise(cells: dict[str, dict[str, object]]) -> None:
    # Unit B (150 observed for 112 expected, z = 3.09 before adjustment) is outside the unadjusted 95% limits, but
    # among six units this dispersed it is within the adjusted ones.
    assert math.sqrt(112) * math.log(150 / 112) > Z_95
    assert cells["ZZB"]["outlier_95"] == "within"
