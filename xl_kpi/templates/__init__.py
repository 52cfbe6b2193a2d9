"""Template workbooks: native-formula Excel files built with openpyxl (``xl-kpi templates``)."""

from __future__ import annotations

from pathlib import Path

from xl_kpi.templates import dashboard

BUILDERS = {
    dashboard.FILE_NAME: dashboard.build,
}


def write_templates(out_dir, blank: bool = False) -> list[Path]:
    out = Path(out_dir)
    return [build(out / name, blank=blank) for name, build in BUILDERS.items()]
