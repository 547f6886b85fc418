"""`icsbench`: the command line. A thin click layer: it converts arguments, calls a job (engine.jobs) and prints
what it returns."""

from engine.cli.main import main

__all__ = ["main"]
