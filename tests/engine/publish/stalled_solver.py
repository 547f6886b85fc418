"""A HiGHS solver that never finishes a program, for tests that check an audit does not read an unfinished run as
"not narrowed": put `stalled_highs` in place of a module's `quiet_highs` with monkeypatch."""

from __future__ import annotations

import highspy

from engine.publish import highs

QUIET_HIGHS = highs.quiet_highs  # the engine's, kept while a test puts `stalled_highs` in its place


def stalled_highs() -> highspy.Highs:
    """The engine's solver, allowed no simplex iteration and no presolve: no program with a constraint finishes."""
    solver = QUIET_HIGHS()
    solver.setOptionValue("presolve", "off")
    solver.setOptionValue("simplex_iteration_limit", 0)
    return solver
