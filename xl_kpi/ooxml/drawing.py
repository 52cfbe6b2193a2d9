"""Render the drawing part that anchors a report sheet's charts over its cells.

>>> from xl_kpi.refresh.report import Chart, RangeRef
>>> r = RangeRef("S", 2, 1, 3, 1)
>>> chart = Chart("line", "MRR", r, [], row=2, col=3, height_rows=13, width_pt=360.0, end=(15, 0, 10, 0))
>>> xml = drawing_xml([chart], ["rId1"])
>>> '<xdr:from><xdr:col>2</xdr:col>' in xml, 'r:id="rId1"' in xml
(True, True)
"""

from __future__ import annotations

from typing import Sequence

from xl_kpi.ooxml.namespaces import NS_A, NS_C, NS_REL, NS_XDR, XML_DECLARATION
from xl_kpi.ooxml.text import attr
from xl_kpi.refresh.report import Chart


def drawing_xml(charts: Sequence[Chart], chart_rids: Sequence[str]) -> str:
    """A drawing part with one two-cell anchor (``editAs="oneCell"``) per chart."""
    anchors = []
    for n, (chart, rid) in enumerate(zip(charts, chart_rids), start=1):
        frm = (f"<xdr:from><xdr:col>{chart.col - 1}</xdr:col><xdr:colOff>0</xdr:colOff>"
               f"<xdr:row>{chart.row - 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>")
        end_row, row_off, end_col, col_off = chart.end
        to = (f"<xdr:to><xdr:col>{end_col - 1}</xdr:col><xdr:colOff>{col_off}</xdr:colOff>"
              f"<xdr:row>{end_row - 1}</xdr:row><xdr:rowOff>{row_off}</xdr:rowOff></xdr:to>")
        anchors.append(
            f'<xdr:twoCellAnchor editAs="oneCell">{frm}{to}<xdr:graphicFrame macro="">'
            f'<xdr:nvGraphicFramePr><xdr:cNvPr id="{n + 1}" name={attr(chart.title)}/>'
            '<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            f'<a:graphic><a:graphicData uri="{NS_C}"><c:chart xmlns:c="{NS_C}" xmlns:r="{NS_REL}" r:id="{rid}"/>'
            '</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>')
    return f'{XML_DECLARATION}<xdr:wsDr xmlns:xdr="{NS_XDR}" xmlns:a="{NS_A}">{"".join(anchors)}</xdr:wsDr>'
