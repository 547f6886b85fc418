"""How long work reports progress: one protocol for every step that takes a while.

A step calls `progress(label)` to say what it is doing, and `progress(label, done, total)` when it knows how far it
has got. The CLI turns the calls into a progress bar, Excel into status-bar text, tests into a list; code that runs
without anyone watching passes `silent`.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, label: str, done: int | None = None, total: int | None = None) -> None:
        """Say what is happening now and, when known, how many of how many steps are done."""


def silent(label: str, done: int | None = None, total: int | None = None) -> None:
    """The progress of work nobody is watching."""


def prefixed(progress: Progress, prefix: str) -> Progress:
    """The same progress with every label starting `prefix` (e.g. "ICS SQL Server: ")."""

    def report(label: str, done: int | None = None, total: int | None = None) -> None:
        progress(f"{prefix}{label}", done, total)

    return report
