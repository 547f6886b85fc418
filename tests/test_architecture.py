"""The floor plan holds: imports only point down the layers, and no modules import each other in a loop.

ruff's banned-api rules (a ruff.toml in each engine package) stop a backward import as it is typed; this test reads
the whole import graph with grimp, so it also covers the foundation modules at the top of engine/ and imports made
inside functions. Imports under `if TYPE_CHECKING:` are left out: they never run.
"""

from __future__ import annotations

import grimp
import pytest

# Lowest first. A module may import its own layer and the layers before it, never one after it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "foundation",
        (
            "engine.errors",
            "engine.codes",
            "engine.schema",
            "engine.reference",
            "engine.nhs_number",
            "engine.sql_files",
            "engine.sql_dialects",
            "engine.progress",
            "engine.generated_files",
            "engine.config",
        ),
    ),
    ("synthetic ICS", ("engine.synth",)),
    ("store", ("engine.store",)),
    ("ingest", ("engine.ingest",)),
    ("metrics", ("engine.metrics",)),
    ("publish", ("engine.publish",)),
    ("jobs", ("engine.jobs", "engine.docgen")),
    ("consumers", ("engine.cli", "addin")),
)
# Packages of the same layer that must not import each other either.
APART = (("engine.synth", "engine.store"), ("engine.ingest", "engine.metrics"), ("engine.cli", "addin"))


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("engine", "addin", exclude_type_checking_imports=True)


def _layer(module: str) -> int:
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{module} is in no layer: add it to LAYERS here and to docs/architecture.md")


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_every_module_has_a_layer(graph: grimp.ImportGraph) -> None:
    for module in graph.modules:
        if module not in ("engine", "addin"):
            _layer(module)


def test_imports_only_point_down(graph: grimp.ImportGraph) -> None:
    backward = []
    for importer in sorted(graph.modules - {"engine", "addin"}):
        for imported in sorted(graph.find_modules_directly_imported_by(importer) - {"engine", "addin"}):
            if _layer(imported) > _layer(importer):
                lines = [d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)]
                backward.append(
                    f"{importer} (layer {LAYERS[_layer(importer)][0]}) imports {imported} "
                    f"(layer {LAYERS[_layer(imported)][0]}) at line {lines}"
                )
    assert backward == []


@pytest.mark.parametrize(("first", "second"), APART)
def test_packages_of_one_layer_stay_apart(graph: grimp.ImportGraph, first: str, second: str) -> None:
    crossing = [
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if (_within(importer, first) and _within(imported, second))
        or (_within(importer, second) and _within(imported, first))
    ]
    assert crossing == []


def test_no_modules_import_each_other_in_a_loop(graph: grimp.ImportGraph) -> None:
    """Tarjan's strongly connected components: any component of more than one module is a loop."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in edges[module]:
            if imported not in index:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in on_stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                loops.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    assert loops == []
