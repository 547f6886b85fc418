"""The HiGHS solver as suppression and its audits use it: silent, one thread, and never read as "not narrowed" when it
did not finish.

Every disclosure audit asks a linear program how far a hidden figure can move given what is published. Two answers
mean the figure is safe that way: a bound at least the protection interval away, or no bound at all (unbounded). A run
that ends any other way (an error, a limit, numerical trouble from a warm start) proves nothing, so it must not pass
for either of them."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import highspy

DUAL_SIMPLEX = 1  # HiGHS's simplex_strategy option: its default
PRIMAL_SIMPLEX = 4  # the same option: the primal simplex method


class UnsettledSolveError(RuntimeError):
    """HiGHS ended a program neither at an optimum nor unbounded, twice. The audits read it as narrowed, so the
    figure is hidden rather than published on a guess."""


@dataclass
class Tally:
    """Audit programs HiGHS ran (`run_settled`) while the tally was open, and how many it left unsettled (neither
    optimal nor unbounded after the second run). The audits hide what an unsettled program audited, so a refresh
    reports the count: many would mean a pattern hiding far more than it needs to, for the solver's sake."""

    runs: int = 0
    unsettled: int = 0


_TALLY: ContextVar[Tally | None] = ContextVar("highs_tally", default=None)


@contextmanager
def tallied() -> Iterator[Tally]:
    """Count the audit programs run inside the block (see Tally)."""
    tally = Tally()
    token = _TALLY.set(tally)
    try:
        yield tally
    finally:
        _TALLY.reset(token)


def quiet_highs() -> highspy.Highs:
    """A HiGHS solver that prints nothing: its banner goes straight to the process's stdout (file descriptor 1)
    when it is made, past Python's sys.stdout, so that descriptor points at the null device meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with Path(os.devnull).open("w") as null:
            os.dup2(null.fileno(), 1)
            solver = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("threads", 1)  # see `run_solver`
    return solver


def run_solver(solver: highspy.Highs) -> None:
    """Run `solver`, again once if HiGHS refuses. HiGHS keeps one thread scheduler per process, sized by the first
    solver that uses it, and refuses (an error, no solution) a later solver asking for another number of threads.
    Read as "nothing better found", that made the pattern depend on what had run before in the process (a test, or
    any other code using HiGHS in Excel's Python). Every solver here asks for one thread (`quiet_highs`); on an
    error the scheduler is reset and the solver run again. An error that stays is the model's own (bounds that
    cannot be met): the caller reads the model status."""
    if solver.run() == highspy.HighsStatus.kError:
        highspy.Highs.resetGlobalScheduler(True)
        solver.run()


def run_settled(solver: highspy.Highs) -> highspy.HighsModelStatus:
    """Run `solver` and return its model status; a run that ends neither optimal nor unbounded (a limit, numerical
    trouble from a warm start, presolve's "unbounded or infeasible") is solved once more from scratch, without
    presolve and by the dual simplex method (HiGHS's default), the status of that run returned.

    The dual simplex because the audits' programs stated as moves from the true figures run the primal simplex method
    (a feasible start): on a program of 30 columns of the scale 0.01 demo it ended "unknown" (dual infeasibilities
    of 0.012 left), again from scratch, where the dual simplex method solves it in 18 iterations."""
    run_solver(solver)
    status = solver.getModelStatus()
    if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kUnbounded):
        _, presolve = solver.getOptionValue("presolve")
        _, strategy = solver.getOptionValue("simplex_strategy")
        solver.clearSolver()
        solver.setOptionValue("presolve", "off")
        solver.setOptionValue("simplex_strategy", DUAL_SIMPLEX)
        try:
            run_solver(solver)
        finally:
            solver.setOptionValue("presolve", presolve)
            solver.setOptionValue("simplex_strategy", strategy)
        status = solver.getModelStatus()
    tally = _TALLY.get()
    if tally is not None:
        tally.runs += 1
        tally.unsettled += status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kUnbounded)
    return status


def settled_optimum(solver: highspy.Highs) -> float | None:
    """The optimum of `solver`'s objective, or None when the objective is unbounded that way.

    An audit program is meant to be feasible (the true figures satisfy it), so any other ending is the solver's
    trouble or the model's, never the figures' answer: solved again (`run_settled`), and UnsettledSolveError raised
    if that does not settle it; infeasible too, as the audits then cannot show the figure keeps its room."""
    status = run_settled(solver)
    if status == highspy.HighsModelStatus.kOptimal:
        return float(solver.getObjectiveValue())  # not getInfo(): a copy of every figure of the run, 46 µs
    if status == highspy.HighsModelStatus.kUnbounded:
        return None
    raise UnsettledSolveError(f"HiGHS ended an audit program with: {solver.modelStatusToString(status)}")
