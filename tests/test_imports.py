"""The import graph of cxkpi: no circles, and the lazy CLI start-up stays lazy.

Read from the source with ``ast`` (nothing is imported), so a new circle fails
here with its chain instead of as a half-initialised module at run time.
Only module-level imports count: an import inside a function or under
``if TYPE_CHECKING:`` is how cxkpi defers a heavy or circular import on purpose.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cxkpi"
LAZY_ENTRY = ("cxkpi.cli.app", "cxkpi.cli.catalog")
HEAVY = ("pandas", "pyarrow", "numpy", "cxkpi.kpis")


def module_names() -> dict[str, Path]:
    """Every module under cxkpi/ by dotted name (a package by its ``__init__.py``)."""
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level(body: list[ast.stmt]):
    """Import statements run at import time: the body, and if/try/with blocks in it (not TYPE_CHECKING)."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody):
                yield from _module_level(block)
        elif isinstance(node, ast.With):
            yield from _module_level(node.body)


def imported(name: str, path: Path, known: set[str], deferred: bool = False) -> set[str]:
    """Dotted names ``name`` imports at module level (external ones too, e.g. ``pandas``).

    ``from . import x`` counts as importing the submodule ``x`` when there is one;
    ``from .a import y`` imports ``a`` (and ``a.y`` if that is a submodule).
    ``deferred`` adds the imports inside functions and TYPE_CHECKING blocks.
    """
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))] if deferred \
        else _module_level(tree.body)
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = here[:len(here) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module
        found.add(target)
        for alias in node.names:
            if f"{target}.{alias.name}" in known:
                found.add(f"{target}.{alias.name}")
    return found


def _with_parents(target: str, importer: str) -> set[str]:
    """Importing ``a.b.c`` runs ``a.b``'s ``__init__`` first, unless ``a.b`` contains the importer
    (then it is already being imported: ``from . import x`` in a package's module) or it is the
    top ``cxkpi`` package (lazy by design)."""
    parts = target.split(".")
    chain = {".".join(parts[:i]) for i in range(2, len(parts) + 1)}
    return {m for m in chain if not importer.startswith(m + ".")}


def graph() -> dict[str, set[str]]:
    """Edges between cxkpi modules, plus external top-level packages as leaves."""
    modules = module_names()
    known = set(modules)
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for target in imported(name, path, known):
            if target in known:
                targets |= {t for t in _with_parents(target, name) if t in known and t != name}
            elif not target.startswith("cxkpi"):
                targets.add(target.split(".")[0])
        edges[name] = targets
    return edges


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (no recursion limit); components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    components.append(sorted(component))
    return components


def cycle_in(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """One concrete circle through the component's first module: a shortest path back to it."""
    start = component[0]
    members = set(component)
    previous = {start: None}
    queue = [start]
    for node in queue:
        for child in sorted(edges[node] & members):
            if child == start:
                chain = [node]
                while previous[chain[-1]] is not None:
                    chain.append(previous[chain[-1]])
                return [*reversed(chain), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    raise AssertionError(f"no circle in {component}")


def loaded_by(entry: str, edges: dict[str, set[str]]) -> dict[str, list[str]]:
    """Everything importing ``entry`` loads at module level, each with the chain that loads it."""
    chains = {entry: [entry]}
    queue = [entry]
    for node in queue:
        for child in sorted(edges.get(node, ())):
            if child not in chains:
                chains[child] = [*chains[node], child]
                queue.append(child)
    return chains


def test_the_graph_covers_every_module():
    edges = graph()
    # the analysis itself: a package, a relative submodule import and a parent package are all seen
    assert len(edges) == len(module_names()) > 50
    assert "cxkpi.kpis.surveys" in edges["cxkpi.kpis"]  # `from . import surveys` in kpis/__init__.py
    assert "cxkpi.io.values" in edges["cxkpi.engine"]  # `from .io.values import ...`
    assert "cxkpi.io" in edges["cxkpi.engine"]  # cxkpi.io.__init__ runs before cxkpi.io.values
    assert "pandas" in edges["cxkpi.engine"]


def test_no_import_circles():
    edges = graph()
    circles = [" -> ".join(cycle_in(c, edges)) for c in strongly_connected(edges)]
    assert not circles, "import circles (move the shared names to a leaf module, or import inside " \
                        "the function that needs them):\n" + "\n".join(circles)


def test_the_tarjan_finds_a_known_circle():
    # a -> b -> c -> a is one component; d hangs off it; e imports itself
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert strongly_connected(edges) == [["a", "b", "c"], ["e"]]
    assert cycle_in(["a", "b", "c"], edges) == ["a", "b", "c", "a"]


def test_the_lazy_cli_loads_no_heavy_module():
    # `cxkpi --version` and `--help` import only these; the KPIs and pandas come with a command
    edges = graph()
    for entry in LAZY_ENTRY:
        chains = loaded_by(entry, edges)
        heavy = [" -> ".join(chain) for name, chain in chains.items()
                 if any(name == h or name.startswith(h + ".") for h in HEAVY)]
        assert not heavy, f"{entry} loads heavy modules at import:\n" + "\n".join(heavy)


def test_kpi_modules_never_import_the_engine():
    # the engine reaches the KPIs through the registry (load_all), so a KPI importing the engine, even
    # inside a function, closes a circle; shared period helpers live in cxkpi.periods, "(missing)" in
    # cxkpi.vocabulary
    modules = module_names()
    known = set(modules)
    offenders = sorted(name for name, path in modules.items()
                       if name.startswith("cxkpi.kpis") and "cxkpi.engine" in imported(name, path, known, True))
    assert not offenders, f"import cxkpi.periods / cxkpi.vocabulary instead of cxkpi.engine in: {offenders}"


def test_the_shared_vocabulary_and_periods_are_leaves():
    # anything may import them (the loader, the KPIs, the engine, the config) without a circle
    edges = graph()
    assert not {m for m in edges["cxkpi.vocabulary"] if m.startswith("cxkpi")}
    assert not {m for m in edges["cxkpi.periods"] if m.startswith("cxkpi")}


def test_the_period_flows_stay_on_the_engine_side():
    # cxkpi/reduce/flows.py holds what the periodic business KPIs share (kpis/ keeps the measures and
    # declarations): it reaches neither the KPIs nor the registry, and `import cxkpi.reduce` does not
    # load it (it needs pandas; the reducers do not)
    edges = graph()
    assert not {m for m in edges["cxkpi.reduce.flows"] if m.startswith(("cxkpi.kpis", "cxkpi.registry"))}
    assert "cxkpi.reduce.flows" not in edges["cxkpi.reduce"]
    for module in ("lifecycle", "workforce", "value", "knowledge"):
        assert "cxkpi.reduce.flows" in edges[f"cxkpi.kpis.{module}"], module


def test_the_config_package_keeps_init_apart():
    # `from cxkpi.config import load_config` (every command with --config) loads neither init's planner
    # nor its YAML writer; the writer needs the planner's types only for annotations (TYPE_CHECKING)
    edges = graph()
    loaded = loaded_by("cxkpi.config", edges)
    assert "cxkpi.config.starter" not in loaded and "cxkpi.config.yaml_out" not in loaded
    assert "cxkpi.config.yaml_out" in edges["cxkpi.config.starter"]
    assert "cxkpi.config.starter" not in edges["cxkpi.config.yaml_out"]
