"""A package whose ``__init__`` only re-exports its submodules, imported one submodule at a time.

Ibis's ``ibis.backends.sql.compilers`` package imports the SQL compiler of
every backend it has (Athena, BigQuery, ClickHouse ... twenty of them, with
the sqlglot dialects they build on) as soon as one backend is loaded: about
0.05 s of every refresh that runs on DuckDB, which needs one (and Ibis's
module of dialects, which the caller keeps: see ``eager``).
:func:`import_lazily` registers such a package with a module-level
``__getattr__`` (PEP 562) instead: ``package.duckdb`` or
``from package import DuckDBCompiler`` imports that submodule when it is
first asked for, and every name the package's ``__init__`` exports stays
available (``__all__``, ``dir()``).

It only does so for an ``__init__`` made of nothing but re-exports
(``from package.sub import Name``, ``__all__``, a docstring): it reads the
file's syntax tree and leaves any other package (another version that does
more) to the ordinary import, as it leaves a package already imported.

>>> import_lazily("json")  # already imported by doctest: left as it is
False
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys

__all__ = ["import_lazily", "reexports"]


def reexports(source: str, package: str) -> dict[str, tuple[str, str]] | None:
    """What an ``__init__``'s ``source`` exports, as ``{name: (submodule, name there)}``: None unless it holds
    nothing but re-exports of ``package``'s own submodules, ``__all__`` and a docstring.

    >>> reexports('"doc"\\nfrom __future__ import annotations\\n__all__ = ["A"]\\nfrom pkg.a import A as A\\n', "pkg")
    {'A': ('pkg.a', 'A')}
    >>> reexports("from pkg.a import A\\nA.x = 1\\n", "pkg") is None  # it does more than re-export
    True
    >>> reexports("from other.a import A\\n", "pkg") is None  # not a submodule of pkg
    True
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # a docstring
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:
                module = f"{package}.{module}" if module else package
            elif node.level:
                return None
            if not module.startswith(package + ".") or any(alias.name == "*" for alias in node.names):
                return None
            for alias in node.names:
                names[alias.asname or alias.name] = (module, alias.name)
            continue
        if (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]
                and isinstance(node.value, (ast.List, ast.Tuple))
                and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.value.elts)):
            continue
        return None
    return names


def import_lazily(package: str, eager: tuple[str, ...] = ()) -> bool:
    """Register ``package`` (not yet imported) so that its submodules are imported when first used; True if done.

    ``eager``: modules that importing the whole package used to import for their effects beyond their names
    (Ibis's ``ibis.backends.sql.dialects`` registers its dialects with sqlglot and amends sqlglot's
    own: SQL in those dialects must read the same whichever compilers are loaded), imported at once.
    False, and nothing changed, when it is imported already, not found, not a
    package, or its ``__init__`` does more than re-export (:func:`reexports`).
    """
    if package in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(package)  # (imports the parent packages)
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.submodule_search_locations or not spec.origin or package in sys.modules:
        return False
    try:
        with open(spec.origin, encoding="utf-8") as fh:
            names = reexports(fh.read(), package)
    except (OSError, UnicodeDecodeError):
        return False
    if names is None:
        return False
    module = importlib.util.module_from_spec(spec)  # (its __init__ is never run: it would import them all)
    module.__all__ = sorted(names)

    def __getattr__(name: str):
        if name in names:
            where, there = names[name]
            value = getattr(importlib.import_module(where), there)
        elif name.startswith("__"):
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        else:
            try:  # a submodule (package.duckdb), as the eager package has them all as attributes
                value = importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.{name}":
                    raise  # a submodule that exists and needs something missing: say so
                raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        setattr(module, name, value)
        return value

    def __dir__():
        return sorted(set(module.__dict__) | set(names))

    module.__getattr__, module.__dir__ = __getattr__, __dir__
    sys.modules[package] = module
    parent, _, child = package.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    for name in eager:
        importlib.import_module(name)
    return True
