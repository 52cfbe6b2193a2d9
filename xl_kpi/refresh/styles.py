"""Find or append the few cell formats a report needs in a workbook's styles.xml.

A cell's style is an index into ``cellXfs``; each xf points at a number
format and a font.  ``StyleSheet.style(fmt, bold, ...)`` returns the index of an
existing xf that already says exactly that (plain fill, no border, an
alignment only when asked: wrapped text, left-aligned labels), else appends
one (and the number format / bold font it needs).
Because a second refresh finds what the first appended, refreshing twice
leaves styles.xml unchanged.  The file is edited as text: existing entries
keep their bytes and their indices.

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

import re
from xml.sax.saxutils import quoteattr

from xl_kpi.refresh.package import element_pattern, root_prefix
from xl_kpi.refresh.safety import parse_xml

#: Excel's built-in number formats (no numFmt entry needed).
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10,
                   "0.00E+00": 11, "mm-dd-yy": 14, "d-mmm-yy": 15, "d-mmm": 16, "mmm-yy": 17, "@": 49}


def _align_key(attrib) -> tuple:
    """The part of an xf's key that says its alignment: () when it has none."""
    return (("align",) + tuple(sorted(attrib.items()))) if attrib else ()


class StyleSheet:
    """styles.xml text plus the entries a report added to it."""

    def __init__(self, text: str, label: str = "styles.xml") -> None:
        self.text = text
        self.p = root_prefix(text)
        self._q = (self.p + ":") if self.p else ""
        root = parse_xml(text.encode("utf-8"), "styles.xml", label)
        ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
        self.num_fmts = {el.get("formatCode"): int(el.get("numFmtId"))
                         for el in root.iter(ns + "numFmt")}
        self.fonts = element_pattern("font", self.p).findall(self._block("fonts") or "")
        self.xfs = []
        cell_xfs = root.find(ns + "cellXfs")
        for el in (cell_xfs if cell_xfs is not None else []):
            # Plain xfs, and those whose only child is an <alignment> (wrapped headers, left-aligned labels).
            align = len(el) == 1 and el[0].tag == ns + "alignment"
            self.xfs.append(None if len(el) and not align else tuple(el.get(k, "0") for k in (
                "numFmtId", "fontId", "fillId", "borderId", "xfId")) + (_align_key(el[0].attrib) if align else ()))
        self.new_fmts: list[str] = []
        self.new_fonts: list[str] = []
        self.new_xfs: list[str] = []

    def _block(self, name: str) -> str | None:
        q = re.escape(self._q)
        m = re.search(rf"<{q}{name}(?=[\s>/])[^>]*?(?:/>|>(.*?)</{q}{name}\s*>)", self.text, re.S)
        return m.group(1) if m else None

    def _fmt_id(self, fmt: str | None) -> int:
        if fmt is None:
            return 0
        if fmt in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[fmt]
        if fmt not in self.num_fmts:
            self.num_fmts[fmt] = max([163, *self.num_fmts.values()]) + 1
            self.new_fmts.append(f'<{self._q}numFmt numFmtId="{self.num_fmts[fmt]}" formatCode={quoteattr(fmt)}/>')
        return self.num_fmts[fmt]

    def _bold_font(self) -> int:
        base = self.fonts[0] if self.fonts else f"<{self._q}font/>"
        if f"<{self._q}b/>" in base:
            return 0
        start = re.match(rf"<{re.escape(self._q)}font\b[^>]*?(/?)>", base)
        if start.group(1):  # <font/>
            bold = f"<{self._q}font><{self._q}b/></{self._q}font>"
        else:
            bold = base[:start.end()] + f"<{self._q}b/>" + base[start.end():]
        if bold not in self.fonts:
            self.fonts.append(bold)
            self.new_fonts.append(bold)
        return self.fonts.index(bold)

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
            attrs = (f'numFmtId="{key[0]}" fontId="{key[1]}" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"'
                     + (' applyFont="1"' if bold else "") + (' applyAlignment="1"' if attrib else ""))
            align = "".join(f' {k}="{v}"' for k, v in attrib.items())
            body = f'><{self._q}alignment{align}/></{self._q}xf>' if attrib else "/>"
            self.new_xfs.append(f"<{self._q}xf {attrs}{body}")
        return self.xfs.index(key)

    def render(self) -> str:
        """styles.xml with the new entries appended (the original text when none)."""
        text = self.text
        text = self._append(text, "numFmts", self.new_fmts, first_child=True)
        text = self._append(text, "fonts", self.new_fonts)
        text = self._append(text, "cellXfs", self.new_xfs)
        return text

    def _append(self, text: str, name: str, items: list[str], first_child: bool = False) -> str:
        if not items:
            return text
        q = re.escape(self._q)
        m = re.search(rf"<{q}{name}(?=[\s>/])([^>]*?)(/?)>", text)
        if m is None:
            if not first_child:
                raise ValueError(f"styles.xml has no {name}")
            root = re.search(rf"<{q}styleSheet\b[^>]*>", text)
            block = f'<{self._q}{name} count="{len(items)}">{"".join(items)}</{self._q}{name}>'
            return text[:root.end()] + block + text[root.end():]
        close = f"</{self._q}{name}>"
        if m.group(2):  # an empty <numFmts/> element
            text = text[:m.start()] + f"<{self._q}{name}{m.group(1)}>{close}" + text[m.end():]
            m = re.search(rf"<{q}{name}(?=[\s>/])([^>]*?)>", text)
        end = text.index(close, m.end())
        count = len(element_pattern(name[:-1] if name != "cellXfs" else "xf", self.p).findall(text[m.end():end]))
        count += len(items)
        start_tag = m.group(0)
        if re.search(r'\scount="\d*"', start_tag):
            new_tag = re.sub(r'\scount="\d*"', f' count="{count}"', start_tag)
        else:
            new_tag = start_tag[:-1] + f' count="{count}">'
        return text[:m.start()] + new_tag + text[m.end():end] + "".join(items) + text[end:]

