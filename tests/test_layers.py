"""The direction of imports: core and ledger below the Excel layer, no cycles, docs without xlwings.

The import graph is read from the source with ``ast`` (every ``import``
statement, also those inside functions), so a lazy import cannot hide a
dependency; one subprocess then imports the bottom layers for real and
checks what Python actually loaded.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "xl_kpi"

#: What the core (xl_kpi.kpis) and the ledger (xl_kpi.ledger) must never import: the Excel layer.
EXCEL_LAYER = (
    "openpyxl", "xlwings", "lxml", "defusedxml", "xl_kpi.refresh", "xl_kpi.ooxml", "xl_kpi.udfs",
    "xl_kpi.udf_adapter", "xl_kpi.ledger_excel", "xl_kpi.templates", "xl_kpi.addin", "xl_kpi.install",
    "xl_kpi.cli", "xl_kpi.demo",
)
BOTTOM_LAYERS = ("xl_kpi.kpis", "xl_kpi.ledger")


@lru_cache(maxsize=None)
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package is its ``__init__``)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


@lru_cache(maxsize=None)
def imports(name: str) -> tuple[tuple[str, int, bool], ...]:
    """(imported module, line, at module level?) for every import statement of module ``name``."""
    path = modules()[name]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    top = {id(n) for n in tree.body}
    for node in tree.body:  # ``if``/``try`` at module level run on import too
        if isinstance(node, (ast.If, ast.Try)):
            top |= {id(n) for n in ast.walk(node)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules()]
            # ``from pkg import submodule`` imports the submodule; ``from pkg import name`` the package
            targets = subs if len(subs) == len(node.names) else [target, *subs]
            out += [(t, node.lineno, id(node) in top) for t in targets]
    return tuple(out)


def parents(name: str) -> list[str]:
    """The packages Python initialises before ``name``: ``a.b.c`` -> ``a``, ``a.b``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def loaded_on_import(start: str, lazy_of_start: bool = False) -> dict[str, str]:
    """Modules (ours and third-party top-level names) that importing ``start`` loads -> why (a chain).

    Module-level imports are followed transitively, with the parent packages
    Python initialises; ``lazy_of_start`` adds the imports inside ``start``'s
    own functions (what calling it loads).
    """
    why: dict[str, str] = {start: start}
    todo = [start]
    while todo:
        mod = todo.pop()
        edges = [(p, 0, True) for p in parents(mod)] + list(imports(mod))
        for target, line, at_top in edges:
            if not at_top and not (lazy_of_start and mod == start):
                continue
            key = target if target in modules() else target.split(".")[0] if not target.startswith("xl_kpi") \
                else target
            if key in why:
                continue
            why[key] = f"{why[mod]} -> {key}" + (f" (line {line})" if line else "")
            if key in modules():
                todo.append(key)
    return why


def forbidden(names, prefixes) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


def upward_imports(name: str) -> list[tuple[str, int]]:
    """Import statements of ``name`` (lazy ones too) naming the Excel layer or the package root."""
    return [(t, line) for t, line, _ in imports(name) if forbidden([t], EXCEL_LAYER) or t == "xl_kpi"]


def bottom_modules() -> list[str]:
    return sorted(m for m in modules() if any(m == b or m.startswith(b + ".") for b in BOTTOM_LAYERS))


@pytest.mark.parametrize("name", bottom_modules())
def test_core_and_ledger_import_nothing_of_the_excel_layer(name):
    # every import statement of the module itself, lazy ones included ...
    direct = upward_imports(name)
    assert not direct, f"{name} imports {direct} (the core and the ledger sit below the Excel layer; " \
                       f"import KPI functions from xl_kpi.kpis, not from the package root)"
    # ... and everything importing it loads
    chain = loaded_on_import(name)
    bad = forbidden(chain, EXCEL_LAYER)
    assert not bad, f"importing {name} loads " + "; ".join(chain[b] for b in bad)


def test_the_core_does_not_import_the_ledger():
    for name in bottom_modules():
        if name.startswith("xl_kpi.kpis"):
            chain = loaded_on_import(name, lazy_of_start=True)
            assert not forbidden(chain, ["xl_kpi.ledger"]), (name, forbidden(chain, ["xl_kpi.ledger"]))


def test_no_import_cycles_even_through_lazy_imports():
    """Tarjan's strongly connected components over every import statement (lazy ones too).

    A package's ``__init__`` is entered only when something imports the
    package itself (``import xl_kpi``, ``from xl_kpi.ledger import X`` for a
    name X defined there), not through its submodules: the usual
    "package re-exports its modules" shape is not a cycle.
    """
    graph = {m: {t for t, _, _ in imports(m) if t in modules() and t != m} for m in modules()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # recursion depth <= number of modules
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_writing_the_docs_does_not_need_xlwings():
    chain = loaded_on_import("xl_kpi.catalog_docs", lazy_of_start=True)
    bad = forbidden(chain, ["xlwings", "xl_kpi.udfs", "xl_kpi.refresh", "openpyxl"])
    assert not bad, "; ".join(chain[b] for b in bad)


#: What renders a package (the report and the part writers); reading one needs none of it.
RENDERERS = ("xl_kpi.refresh", "xl_kpi.ooxml.worksheet", "xl_kpi.ooxml.drawing", "xl_kpi.ooxml.chart",
             "xl_kpi.ooxml.table", "xl_kpi.templates", "openpyxl")


def test_reading_a_package_does_not_import_the_modules_that_render_one():
    reader = [m for m, path in modules().items() if "class WorkbookPackage" in path.read_text(encoding="utf-8")]
    assert reader == ["xl_kpi.ooxml.package"]
    chain = loaded_on_import(reader[0], lazy_of_start=True)
    bad = forbidden(chain, RENDERERS)
    assert not bad, "; ".join(chain[b] for b in bad)


def test_the_static_graph_finds_a_lazy_upward_import(tmp_path, monkeypatch):
    """The checker itself: a function-level ``import xl_kpi`` in a ledger module is caught."""
    fake = dict(modules())
    src = tmp_path / "fake.py"
    src.write_text("def f():\n    import xl_kpi\n    from xl_kpi.refresh import pipeline\n")
    fake["xl_kpi.ledger.fake"] = src
    monkeypatch.setattr(sys.modules[__name__], "modules", lambda: fake)
    imports.cache_clear()
    try:
        found = upward_imports("xl_kpi.ledger.fake")
    finally:
        imports.cache_clear()
    assert found == [("xl_kpi", 2), ("xl_kpi.refresh.pipeline", 3)]


def test_python_agrees_importing_the_bottom_layers_and_the_docs_loads_no_excel_layer():
    """One fresh interpreter imports core, ledger and the docs writer: none of the Excel layer is loaded."""
    code = (
        "import json, sys\n"
        "import xl_kpi.kpis, xl_kpi.ledger, xl_kpi.ledger.prepared, xl_kpi.ledger.money\n"
        "core = sorted(sys.modules)\n"
        "import xl_kpi.catalog_docs\n"
        "xl_kpi.catalog_docs.markdown()\n"
        "print(json.dumps([core, sorted(sys.modules)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PACKAGE.parent)
    core, docs = json.loads(out.stdout)
    assert "xl_kpi.ledger.bridge" in core  # the import really happened
    assert not forbidden(core, EXCEL_LAYER), forbidden(core, EXCEL_LAYER)
    assert not forbidden(docs, ["xlwings", "xl_kpi.udfs", "xl_kpi.refresh", "openpyxl"])
