"""Synthetic PLICS extracts for a fictional Lancashire and South Cumbria ICS (no real patient data).

`generate(out_dir)` writes one file per provider, setting, quarter and layout, an `ics.toml` that loads them (with the
population, long-term conditions and pathways the generator used), `control_totals.csv`, `gp_list_sizes.csv` and a
`manifest.json` describing the planted variation the benchmarks must find.
"""

from __future__ import annotations

from engine.synth.generator import GENERATOR_VERSION, SynthResult, generate

__all__ = ["GENERATOR_VERSION", "SynthResult", "generate"]
