"""The namespaces, relationship types and content types of an Office Open XML package, once.

Every module that reads or writes package parts (the refresh's closed-file
back end, the add-in builder) takes its names from here.

>>> qn(NS_MAIN, "sheet")
'{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet'
"""

from __future__ import annotations

#: SpreadsheetML (workbook, worksheets, styles, tables, calcChain, sharedStrings).
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#: Relationship ids inside a part (``r:id``).
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#: Relationships parts (``_rels/*.rels``).
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
#: ``[Content_Types].xml``.
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
#: Markup compatibility (``mc:Ignorable``, ``mc:AlternateContent``).
NS_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_XML = "http://www.w3.org/XML/1998/namespace"

REL_WORKSHEET = NS_REL + "/worksheet"
REL_TABLE = NS_REL + "/table"
REL_DRAWING = NS_REL + "/drawing"
REL_CHART = NS_REL + "/chart"

CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"

#: The package part that maps part names to content types.
CT_PART = "[Content_Types].xml"
#: The XML declaration of every part this project writes from scratch.
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def qn(namespace: str, local: str) -> str:
    """Clark notation ``{namespace}local`` (what ElementTree and lxml call a qualified name)."""
    return f"{{{namespace}}}{local}"
