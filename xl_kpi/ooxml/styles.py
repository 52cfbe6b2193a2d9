"""Find or append the few cell formats a report needs in a workbook's styles.xml.

A cell's style is an index into ``cellXfs``; each xf points at a number
format and a font.  ``StyleSheet.style(fmt, bold, ...)`` returns the index of an
existing xf that already says exactly that (plain fill, no border, an
alignment only when asked: wrapped text, left-aligned labels), else appends
one (and the number format / bold font it needs).
Because a second refresh finds what the first appended, refreshing twice
leaves styles.xml unchanged.  Existing entries keep their indices; the part
is edited as an lxml tree, so its namespace declarations stay as written.

Only ``styleSheet/numFmts`` holds the number formats cells may use: a
``<numFmt>`` inside a ``<dxf>`` (a conditional format's differential format)
is local to it, so it is never reused for a cell (its id is still avoided for
new formats).  ``count`` attributes are set to the number of entries,
whatever they said before.

Example
-------
>>> xml = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
...        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
...        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
...        '</styleSheet>')
>>> s = StyleSheet(xml)
>>> s.style("0.0%", False), s.style("#,##0", False), s.style(None, True), s.style(None, False)
(1, 2, 3, 0)
>>> s.style(None, False, wrap=True), s.style("mmm yyyy", False, horizontal="left"), s.style(None, False, wrap=True)
(4, 5, 4)
>>> again = StyleSheet(s.render())
>>> again.style("0.0%", False), again.style(None, True), again.style(None, False, wrap=True)
(1, 3, 4)
>>> again.style("mmm yyyy", False, horizontal="left")
5
>>> again.render() == s.render()
True
"""

from __future__ import annotations

import copy

from lxml import etree

from xl_kpi.errors import UserError
from xl_kpi.ooxml import xmltree

#: Excel's built-in number formats (no numFmt entry needed).
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10,
                   "0.00E+00": 11, "mm-dd-yy": 14, "d-mmm-yy": 15, "d-mmm": 16, "mmm-yy": 17, "@": 49}
#: The children of ``<styleSheet>`` in schema order (CT_Stylesheet).
STYLESHEET_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs",
                    "tableStyles", "colors", "extLst")
#: Lowest id of a custom number format (0-163 are Excel's built-in ids).
FIRST_CUSTOM_FORMAT = 164


def _align_key(attrib) -> tuple:
    """The part of an xf's key that says its alignment: () when it has none."""
    return (("align",) + tuple(sorted(attrib.items()))) if attrib else ()


def _font_key(el) -> tuple:
    """What a font says (tags, attributes, text), not how it is written: a font copied out of the tree
    serialises with namespace declarations that the same font inside the tree inherits."""
    return (el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip(),
            tuple(_font_key(k) for k in el if isinstance(k.tag, str)))


class StyleSheet:
    """styles.xml as an lxml tree plus the entries a report added to it."""

    def __init__(self, data: str | bytes, label: str = "styles.xml", part: str = "xl/styles.xml") -> None:
        self.data = data.encode("utf-8") if isinstance(data, str) else data
        self.root = xmltree.parse(self.data, part, label)
        self.changed = False
        self.fonts_el = xmltree.child(self.root, "fonts")
        self.xfs_el = xmltree.child(self.root, "cellXfs")
        if self.fonts_el is None or self.xfs_el is None or not xmltree.children(self.fonts_el, "font"):
            raise UserError(f"{label}: package part {part!r} has no fonts or no cell formats; "
                            "open and save the workbook in Excel first")
        self.num_fmts_el = xmltree.child(self.root, "numFmts")
        self.num_fmts: dict[str, int] = {}
        for el in xmltree.children(self.num_fmts_el, "numFmt") if self.num_fmts_el is not None else []:
            fmt_id = _int(el.get("numFmtId"))
            if fmt_id is not None and el.get("formatCode") is not None:
                self.num_fmts.setdefault(el.get("formatCode"), fmt_id)
        # Every id in the part, dxfs' included: a new format never shares one.
        ns = etree.QName(self.root).namespace
        self._used_ids = {i for el in self.root.iter(f"{{{ns}}}numFmt" if ns else "numFmt")
                          if (i := _int(el.get("numFmtId"))) is not None}
        self.fonts = [_font_key(f) for f in xmltree.children(self.fonts_el, "font")]
        self.xfs = [self._xf_key(el) for el in xmltree.children(self.xfs_el, "xf")]

    @staticmethod
    def _xf_key(el) -> tuple | None:
        """Plain xfs, and those whose only child is an <alignment> (wrapped headers, left-aligned labels)."""
        kids = [k for k in el if isinstance(k.tag, str)]
        align = len(kids) == 1 and xmltree.local(kids[0]) == "alignment"
        if kids and not align:
            return None
        return tuple(el.get(k, "0") for k in ("numFmtId", "fontId", "fillId", "borderId", "xfId")) + \
            (_align_key(dict(kids[0].attrib)) if align else ())

    def _fmt_id(self, fmt: str | None) -> int:
        if fmt is None:
            return 0
        if fmt in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[fmt]
        if fmt not in self.num_fmts:
            new_id = max([FIRST_CUSTOM_FORMAT - 1, *self._used_ids]) + 1
            self._used_ids.add(new_id)
            self.num_fmts[fmt] = new_id
            if self.num_fmts_el is None:
                self.num_fmts_el = xmltree.add_child(self.root, "numFmts", order=STYLESHEET_ORDER)
            xmltree.add_child(self.num_fmts_el, "numFmt", {"numFmtId": str(new_id), "formatCode": fmt})
            xmltree.set_count(self.num_fmts_el, "numFmt")
            self.changed = True
        return self.num_fmts[fmt]

    def _bold_font(self) -> int:
        base = xmltree.children(self.fonts_el, "font")[0]
        if xmltree.child(base, "b") is not None:
            return 0
        bold = copy.deepcopy(base)
        bold.tail = None
        ns = etree.QName(base).namespace
        bold.insert(0, bold.makeelement(f"{{{ns}}}b" if ns else "b"))
        key = _font_key(bold)
        if key in self.fonts:
            return self.fonts.index(key)
        self.fonts_el.append(bold)
        self.fonts.append(key)
        xmltree.set_count(self.fonts_el, "font")
        self.changed = True
        return len(self.fonts) - 1

    def style(self, fmt: str | None, bold: bool, wrap: bool = False, horizontal: str | None = None) -> int:
        """cellXfs index of a plain cell with number format ``fmt``, a bold font, wrapped text and a
        horizontal alignment ("left", "center", "right") when asked."""
        attrib = {"horizontal": horizontal} if horizontal else {}
        if wrap:
            attrib["wrapText"] = "1"
        key = (str(self._fmt_id(fmt)), str(self._bold_font() if bold else 0), "0", "0", "0") + _align_key(attrib)
        if key == ("0", "0", "0", "0", "0"):
            return 0
        if key not in self.xfs:
            self.xfs.append(key)
            xf = {"numFmtId": key[0], "fontId": key[1], "fillId": "0", "borderId": "0", "xfId": "0",
                  "applyNumberFormat": "1"}
            if bold:
                xf["applyFont"] = "1"
            if attrib:
                xf["applyAlignment"] = "1"
            el = xmltree.add_child(self.xfs_el, "xf", xf)
            if attrib:
                xmltree.add_child(el, "alignment", attrib)
            xmltree.set_count(self.xfs_el, "xf")
            self.changed = True
        return self.xfs.index(key)

    def render(self) -> bytes:
        """styles.xml with the new entries (the original bytes when none was added)."""
        return xmltree.serialise(self.root, self.data) if self.changed else self.data


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
