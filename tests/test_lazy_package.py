"""xl_kpi.engines.lazy_package: a re-exporting package imported one submodule at a time, and Ibis's compilers so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from xl_kpi.engines.lazy_package import import_lazily, reexports

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def make_package(tmp_path, monkeypatch):
    """Write a package ``name`` with files ``{module: source}`` on a fresh sys.path entry; forget it afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    made = []

    def make(name: str, files: dict[str, str]) -> str:
        folder = tmp_path / name
        folder.mkdir()
        for module, source in files.items():
            (folder / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        made.append(name)
        return name

    yield make
    for name in made:
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]


def reexporting(name: str) -> dict[str, str]:
    return {
        "__init__": f'''
            """A package that only re-exports."""
            from __future__ import annotations
            __all__ = ["Alpha", "Beta"]
            from {name}.alpha import Alpha
            from .beta import Beta as Beta
        ''',
        "alpha": "class Alpha:\n    pass\n",
        "beta": "class Beta:\n    pass\n",
        "broken": "import no_such_module_xl_kpi_lazy\n",
    }


def test_each_submodule_is_imported_when_first_asked_for(make_package):
    name = make_package("xl_kpi_lazy_a", reexporting("xl_kpi_lazy_a"))
    assert import_lazily(name) is True
    package = sys.modules[name]
    assert f"{name}.alpha" not in sys.modules and f"{name}.beta" not in sys.modules
    assert package.Alpha.__module__ == f"{name}.alpha"
    assert f"{name}.alpha" in sys.modules and f"{name}.beta" not in sys.modules  # only what was asked for
    from xl_kpi_lazy_a import Beta  # noqa: PLC0415 - the import statement's own path
    assert Beta is sys.modules[f"{name}.beta"].Beta
    assert package.beta is sys.modules[f"{name}.beta"]  # a submodule by its name, as the eager package has it
    assert package.__all__ == ["Alpha", "Beta"] and {"Alpha", "Beta"} <= set(dir(package))


def test_a_name_the_package_lacks_is_an_attribute_error_and_a_broken_submodule_says_what_it_lacks(make_package):
    name = make_package("xl_kpi_lazy_b", reexporting("xl_kpi_lazy_b"))
    assert import_lazily(name)
    package = sys.modules[name]
    with pytest.raises(AttributeError, match="has no attribute 'gamma'"):
        package.gamma  # noqa: B018
    assert getattr(package, "__wrapped__", None) is None  # (a probe for a dunder, as inspect makes: no such name)
    with pytest.raises(ModuleNotFoundError) as caught:
        package.broken  # noqa: B018
    assert caught.value.name == "no_such_module_xl_kpi_lazy"


def test_the_modules_asked_for_are_imported_at_once(make_package):
    name = make_package("xl_kpi_lazy_d", reexporting("xl_kpi_lazy_d"))
    assert import_lazily(name, eager=(f"{name}.beta",))
    assert f"{name}.beta" in sys.modules and f"{name}.alpha" not in sys.modules


def test_a_package_that_does_more_than_re_export_is_imported_as_always(make_package):
    name = make_package("xl_kpi_lazy_c", {**reexporting("xl_kpi_lazy_c"),
                                          "__init__": "from xl_kpi_lazy_c.alpha import Alpha\nSETTING = 1\n"})
    assert import_lazily(name) is False
    assert name not in sys.modules  # nothing registered: the ordinary import runs the __init__
    module = __import__(name)
    assert module.SETTING == 1 and f"{name}.alpha" in sys.modules


def test_an_imported_or_missing_package_is_left_alone():
    assert import_lazily("json") is False and sys.modules["json"] is json
    assert import_lazily("no_such_package_xl_kpi_lazy") is False


@pytest.mark.parametrize("source", [
    "from pkg.a import *\n",  # a star import: the names are not known without importing
    "from ..up import A\n",  # outside the package
    "import pkg.a\n",
    "__all__ = names()\n",
    "def f():\n    pass\n",
])
def test_only_plain_re_exports_count(source):
    assert reexports(source, "pkg") is None


def test_ibis_loads_the_compiler_of_its_backend_only_and_every_other_on_demand():
    """In a new process, as a refresh runs: the Ibis engine on DuckDB imports DuckDB's compiler, not Athena's; every
    name of the real package is still there (its own ``__all__``), and other dialects still compile."""
    pytest.importorskip("ibis")
    script = textwrap.dedent("""
        import ast, importlib.util, json, sys
        import xl_kpi.engines.ibis_engine as engine
        ibis = engine.ibis
        con = ibis.duckdb.connect()
        t = con.create_table("t", ibis.memtable({"a": [1, 2]}))
        total = t.a.sum().to_pyarrow().as_py()
        loaded = sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("ibis.backends.sql.compilers."))
        dialects = "ibis.backends.sql.dialects" in sys.modules  # (before another compiler imports it)
        import sqlglot
        impala = sqlglot.transpile("SELECT a FROM t", read="impala", write="duckdb")[0]  # Ibis's own dialect
        import ibis.backends.sql.compilers as sc
        spec = importlib.util.find_spec("ibis.backends.sql.compilers")
        tree = ast.parse(open(spec.origin).read())
        real = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign))
        from ibis.backends.sql.compilers import PostgresCompiler
        try:
            ibis.to_sql(t, dialect="nope")
            bad = None
        except ValueError as exc:
            bad = str(exc)
        print(json.dumps({"total": total, "loaded": loaded, "all_equal": sorted(real) == sc.__all__,
                          "impala": impala, "dialects": dialects,
                          "postgres": str(ibis.to_sql(t.a.sum(), dialect="postgres")).split()[0],
                          "compiler": PostgresCompiler.__module__, "bad": bad}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["total"] == 3
    assert "duckdb" in got["loaded"] and "athena" not in got["loaded"] and "bigquery" not in got["loaded"]
    assert got["all_equal"] is True
    assert got["postgres"] == "SELECT" and got["compiler"] == "ibis.backends.sql.compilers.postgres"
    assert got["bad"] == "Unknown dialect nope"
    # Ibis's dialects are registered with sqlglot as before (DuckDB's compiler alone does not import them)
    assert got["dialects"] is True and got["impala"] == "SELECT a FROM t"
