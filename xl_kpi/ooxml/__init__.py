"""The closed-file back end's view of a workbook: an Office Open XML package, one module per kind of part.

Bottom layer (imports nothing of the project's but :mod:`xl_kpi.errors`):

* :mod:`.namespaces` - namespaces, relationship and content types (the one copy);
* :mod:`.xmltree` - parse / edit / write XML with lxml (namespace declarations
  and prefixes kept, new elements in schema order, no DTD);
* :mod:`.text` - escaping for parts written from scratch;
* :mod:`.atomic` - replace a file atomically (fsync, permissions, cleanup);
* :mod:`.zipcopy` - a zip writer that copies members raw;
* :mod:`.package` - read a package's structure (sheets, relationships, tables).

Edits of the parts a writer shares with the user, each keeping everything it
does not own: :mod:`.workbook` (sheets, defined names, calcPr, views),
:mod:`.relationships`, :mod:`.content_types`, :mod:`.styles`, :mod:`.calc_chain`.

Parts rendered from a report (:mod:`xl_kpi.refresh.report`'s model):
:mod:`.worksheet`, :mod:`.table`, :mod:`.drawing`, :mod:`.chart`.

The refresh (:mod:`xl_kpi.refresh.file_backend`) and the add-in builder
(:mod:`xl_kpi.addin`) both edit XML through these modules.
"""
