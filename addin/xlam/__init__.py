"""The writers behind `addin.build`, one part of `ICS Benchmarking.xlam` each.

- `vba_sources`: the VBA modules that go in (ours, xlwings' runtime module checked against the pin, the document
  modules);
- `ribbon_checks`: the ribbon XML, and the checks that every callback it names is a Sub in those modules;
- `ovba`: MS-OVBA, the streams of the VBA project (compression, dir, PROJECT, PROJECTwm) and `xl/vbaProject.bin`;
- `compound_file`: MS-CFB, the OLE compound file that holds those streams;
- `package`: the .xlam zip around the VBA project and the ribbon.
"""

from __future__ import annotations


class BuildError(Exception):
    """The add-in cannot be built from these sources; the message says what to fix."""
