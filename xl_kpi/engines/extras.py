"""Optional dependencies: importing one that is missing names the extra that installs it.

The core install stays small (numpy, pandas, openpyxl); the engines that
compute where large data lives need more:

=============  ===============================================  ==========================
extra          installs                                         for
=============  ===============================================  ==========================
``warehouse``  ibis-framework with DuckDB, pyarrow              the Ibis engine, Parquet
``spark``      the above and pyspark                            the Ibis engine on Spark
=============  ===============================================  ==========================

>>> import_optional("json", "warehouse").__name__
'json'
>>> import_optional("no_such_module_xl_kpi", "warehouse", "the Ibis engine")
Traceback (most recent call last):
...
xl_kpi.engines.extras.MissingExtraError: the Ibis engine needs the optional package 'no_such_module_xl_kpi': pip install "xl_kpi[warehouse]"
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from xl_kpi.errors import UserError

__all__ = ["MissingExtraError", "import_optional", "WAREHOUSE", "SPARK"]

WAREHOUSE, SPARK = "warehouse", "spark"


class MissingExtraError(UserError, ImportError):
    """An optional package is not installed; the message is the pip command that installs it."""


def import_optional(module: str, extra: str, purpose: str = "this feature") -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming ``pip install "xl_kpi[extra]"``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = getattr(exc, "name", None)
        if missing is None or _installed(missing):
            # Installed but broken, e.g. pyarrow 26 under numpy 1 ("pyarrow requires NumPy 2.0 or
            # newer"): installing the extra again would change nothing, so pass on the cause.
            top = module.split(".")[0]
            raise MissingExtraError(f"{purpose} needs {top!r}, which is installed but does not import: "
                                    f"{exc}") from exc
        raise MissingExtraError(f"{purpose} needs the optional package {missing!r}: "
                                f'pip install "xl_kpi[{extra}]"') from None


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
