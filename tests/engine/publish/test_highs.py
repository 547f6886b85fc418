"""The HiGHS solver as the engine runs it (engine/publish/highs.py): whatever ran before it in the process, and never
a run that did not finish read as "not narrowed"."""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np
import pytest

from engine.metrics import catalog
from engine.publish import highs, ics_money
from engine.publish.suppression import SuppressionRule
from tests.engine.publish.stalled_solver import stalled_highs
from tests.engine.publish.test_ics_money import provider_b_cell


def _two_of_three(integral: bool = True) -> highspy.HighsLp:
    """Choose at least two of three items costing 3, 1 and 2, each whole: 3 at the least (the second and third)."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 3, 1
    lp.col_cost_ = np.array([3.0, 1.0, 2.0])
    lp.col_lower_, lp.col_upper_ = np.zeros(3), np.ones(3)
    lp.row_lower_, lp.row_upper_ = np.array([2.0]), np.array([highspy.kHighsInf])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array([0, 3], dtype=np.int32)
    lp.a_matrix_.index_ = np.array([0, 1, 2], dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(3)
    if integral:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * 3
    return lp


def test_the_solver_runs_whatever_ran_before_it_in_the_process() -> None:
    """HiGHS sizes one thread scheduler per process with the first solver to use it and refused the engine's
    one-thread solver after another had used two: suppression then kept its starting pattern, so the published
    pattern depended on what had run before (a test, other code in Excel's Python)."""
    highspy.Highs.resetGlobalScheduler(True)  # as in a new process, where another solver is the first to run
    other = highspy.Highs()  # type: ignore[no-untyped-call]
    other.setOptionValue("output_flag", False)
    other.setOptionValue("threads", 2)
    other.passModel(_two_of_three())
    assert other.run() == highspy.HighsStatus.kOk
    ours = highs.quiet_highs()
    ours.passModel(_two_of_three())
    highs.run_solver(ours)
    assert ours.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert ours.getInfo().objective_function_value == pytest.approx(3.0)
    assert ours.getSolution().col_value == pytest.approx([0.0, 1.0, 1.0])


def test_settled_optimum_gives_the_optimum_or_none_when_unbounded() -> None:
    solver = highs.quiet_highs()
    solver.passModel(_two_of_three(integral=False))
    assert highs.settled_optimum(solver) == pytest.approx(3.0)
    solver.changeObjectiveSense(highspy.ObjSense.kMaximize)
    solver.changeColsBounds(3, np.arange(3, dtype=np.int32), np.zeros(3), np.full(3, highspy.kHighsInf))
    assert highs.settled_optimum(solver) is None


def test_a_run_that_does_not_finish_is_raised_not_read_as_unbounded() -> None:
    solver = stalled_highs()
    solver.passModel(_two_of_three(integral=False))
    with pytest.raises(highs.UnsettledSolveError, match="limit"):
        highs.settled_optimum(solver)


def test_a_run_that_does_not_finish_is_solved_again_from_scratch(monkeypatch: pytest.MonkeyPatch) -> None:
    """A first run that stops short (here: allowed no simplex iteration, then the limit lifted) is solved again from
    scratch, and its optimum given, not raised."""
    runs: list[highspy.HighsModelStatus] = []
    engine_run = highs.run_solver

    def stopped_once(solver: highspy.Highs) -> None:
        solver.setOptionValue("simplex_iteration_limit", 0 if not runs else 1_000_000)
        engine_run(solver)
        runs.append(solver.getModelStatus())

    monkeypatch.setattr(highs, "run_solver", stopped_once)
    solver = highs.quiet_highs()
    solver.setOptionValue("presolve", "off")
    solver.passModel(_two_of_three(integral=False))
    assert highs.settled_optimum(solver) == pytest.approx(3.0)
    assert runs == [highspy.HighsModelStatus.kIterationLimit, highspy.HighsModelStatus.kOptimal]


def test_the_ics_money_rule_runs_no_solver_so_none_can_leave_it_unsettled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ICS money rule solves its programs in closed form (issue 21d): with every HiGHS solver stalled, it still
    shows the cell that keeps its room and hides the one that does not. (It used to run HiGHS and read a program
    left unsettled as narrowed; that path is gone, and figures no counts can meet are read as narrowed instead:
    test_ics_money.test_figures_no_counts_can_meet_are_read_as_narrowed.)"""
    monkeypatch.setattr(highs, "quiet_highs", stalled_highs)
    monkeypatch.setattr(highspy, "Highs", lambda: pytest.fail("the ICS money rule made a HiGHS solver"))
    columns = catalog.metric("unit_cost_benchmark").columns
    rule = SuppressionRule()
    assert ics_money.exposed_ics_money("unit_cost_benchmark", *provider_b_cell(5, 500.0), columns, rule) == {}
    narrowed = ics_money.exposed_ics_money("unit_cost_benchmark", *provider_b_cell(7, 7_000.0), columns, rule)
    assert narrowed["ics_activity"].tolist() == [True, True]


def test_a_program_the_primal_simplex_method_leaves_unsettled_is_settled_by_the_dual() -> None:
    """The audits' programs in moves from the true figures run the primal simplex method without presolve. On this
    chained audit program from the synthetic demo (HiGHS 1.16) that ends "unknown", twice; the second run, by the
    dual simplex method, settles it at the optimum HiGHS's defaults find, and the solver keeps its own options."""
    solver = highs.quiet_highs()
    solver.readModel(str(Path(__file__).parent / "data" / "primal_simplex_stalls.mps"))
    solver.setOptionValue("simplex_strategy", 4)
    solver.setOptionValue("presolve", "off")
    reference = highs.quiet_highs()
    reference.readModel(str(Path(__file__).parent / "data" / "primal_simplex_stalls.mps"))
    reference.run()
    assert reference.getModelStatus() == highspy.HighsModelStatus.kOptimal
    with highs.tallied() as tally:
        assert highs.settled_optimum(solver) == pytest.approx(reference.getObjectiveValue(), abs=1e-6)
    assert (tally.runs, tally.unsettled) == (1, 0)
    assert solver.getOptionValue("simplex_strategy")[1] == 4
    assert solver.getOptionValue("presolve")[1] == "off"
