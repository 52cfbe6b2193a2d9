"""Render a report ``Block`` that carries an Excel Table as a table part.

>>> import numpy as np
>>> from xl_kpi.refresh.report import Block, Column
>>> xml = table_xml(Block(1, 1, [Column("Month", np.array([1.0])), Column("A & B", np.array([2.0]))], table="T"), 3)
>>> '<tableColumn id="2" name="A &amp; B"/>' in xml, 'ref="A1:B2"' in xml
(True, True)
"""

from __future__ import annotations

from xl_kpi.ooxml.namespaces import NS_MAIN, XML_DECLARATION
from xl_kpi.ooxml.text import attr
from xl_kpi.refresh.report import Block


def table_xml(blk: Block, table_id: int) -> str:
    """The table part of a block that carries an Excel Table (header row, no Total Row, a filter)."""
    ref = blk.ref()
    cols = "".join(f'<tableColumn id="{i}" name={attr(c.header)}/>'
                   for i, c in enumerate(blk.columns, start=1))
    return (f'{XML_DECLARATION}<table xmlns="{NS_MAIN}" id="{table_id}" name={attr(blk.table)} '
            f'displayName={attr(blk.table)} ref="{ref}" totalsRowShown="0"><autoFilter ref="{ref}"/>'
            f'<tableColumns count="{len(blk.columns)}">{cols}</tableColumns>'
            '<tableStyleInfo name="TableStyleMedium2" showFirstColumn="0" showLastColumn="0" '
            'showRowStripes="1" showColumnStripes="0"/></table>')
