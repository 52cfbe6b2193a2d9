"""Python's white space and decimal digits as regular-expression character classes, for SQL.

The Ibis engine reads ids and blanks as the numpy path does (``str.strip()``,
``str.isspace()``, re's ``\\d``: every Unicode space and decimal digit), where
SQL's ``TRIM`` cuts only " " and ``[0-9]`` matches only ASCII digits; so it
writes those characters out as classes (:mod:`xl_kpi.engines.ibis_engine`):

* :data:`SPACE_CLASS`: what ``str.isspace()`` calls white space (none lies
  above U+3000);
* :data:`DIGIT_CLASS`: the code points re's ``\\d`` matches in a str pattern
  (the Unicode decimal digits, category Nd), as ranges.

Both are the running Python's: its Unicode version
(``unicodedata.unidata_version``) decides. Finding the digits takes re over
every code point, a fifth of a second at import, on the command line's way to
its query; so the ranges of the Unicode versions of Python 3.10 to 3.13 are
written out (:data:`DIGIT_RANGES`, made by :func:`digit_ranges` under each of
them), and another version's are found at import. The test suite computes the
running Python's again and compares.

>>> import re
>>> DIGIT_CLASS[:4], bool(re.fullmatch(DIGIT_CLASS + "+", "\\u0661\\u0662")), bool(re.fullmatch(DIGIT_CLASS, "x"))
('[0-9', True, False)
>>> bool(re.fullmatch(SPACE_CLASS + "+", " \\t\\u00a0\\u3000"))
True
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["SPACE_CLASS", "DIGIT_CLASS", "DIGIT_RANGES", "digit_ranges"]

#: What Python's str.isspace() calls white space (the numpy path's blank text), as a regex class.
SPACE_CLASS = "[" + "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace()) + "]"


def digit_ranges() -> str:
    """The code points re's ``\\d`` matches, as ranges ``first-last`` of runs, found by re itself over every
    code point at once (a loop over them in Python costs a tenth of a second more)."""
    return "".join(f"{run[0]}-{run[-1]}" for run in re.findall(r"\d+", "".join(map(chr, range(0x110000)))))


#: :func:`digit_ranges` by Unicode version, as it returns them under Python 3.10 (13.0.0), 3.11 (14.0.0),
#: 3.12 (15.0.0) and 3.13 (15.1.0: no new digits).
DIGIT_RANGES: dict[str, str] = {
    "13.0.0": (
        "0-9\u0660-\u0669\u06f0-\u06f9\u07c0-\u07c9\u0966-\u096f\u09e6-\u09ef\u0a66-\u0a6f\u0ae6-\u0aef"
        "\u0b66-\u0b6f\u0be6-\u0bef\u0c66-\u0c6f\u0ce6-\u0cef\u0d66-\u0d6f\u0de6-\u0def\u0e50-\u0e59"
        "\u0ed0-\u0ed9\u0f20-\u0f29\u1040-\u1049\u1090-\u1099\u17e0-\u17e9\u1810-\u1819\u1946-\u194f"
        "\u19d0-\u19d9\u1a80-\u1a89\u1a90-\u1a99\u1b50-\u1b59\u1bb0-\u1bb9\u1c40-\u1c49\u1c50-\u1c59"
        "\ua620-\ua629\ua8d0-\ua8d9\ua900-\ua909\ua9d0-\ua9d9\ua9f0-\ua9f9\uaa50-\uaa59\uabf0-\uabf9"
        "\uff10-\uff19\U000104a0-\U000104a9\U00010d30-\U00010d39\U00011066-\U0001106f"
        "\U000110f0-\U000110f9\U00011136-\U0001113f\U000111d0-\U000111d9\U000112f0-\U000112f9"
        "\U00011450-\U00011459\U000114d0-\U000114d9\U00011650-\U00011659\U000116c0-\U000116c9"
        "\U00011730-\U00011739\U000118e0-\U000118e9\U00011950-\U00011959\U00011c50-\U00011c59"
        "\U00011d50-\U00011d59\U00011da0-\U00011da9\U00016a60-\U00016a69\U00016b50-\U00016b59"
        "\U0001d7ce-\U0001d7ff\U0001e140-\U0001e149\U0001e2f0-\U0001e2f9\U0001e950-\U0001e959"
        "\U0001fbf0-\U0001fbf9"
    ),
    "14.0.0": (
        "0-9\u0660-\u0669\u06f0-\u06f9\u07c0-\u07c9\u0966-\u096f\u09e6-\u09ef\u0a66-\u0a6f\u0ae6-\u0aef"
        "\u0b66-\u0b6f\u0be6-\u0bef\u0c66-\u0c6f\u0ce6-\u0cef\u0d66-\u0d6f\u0de6-\u0def\u0e50-\u0e59"
        "\u0ed0-\u0ed9\u0f20-\u0f29\u1040-\u1049\u1090-\u1099\u17e0-\u17e9\u1810-\u1819\u1946-\u194f"
        "\u19d0-\u19d9\u1a80-\u1a89\u1a90-\u1a99\u1b50-\u1b59\u1bb0-\u1bb9\u1c40-\u1c49\u1c50-\u1c59"
        "\ua620-\ua629\ua8d0-\ua8d9\ua900-\ua909\ua9d0-\ua9d9\ua9f0-\ua9f9\uaa50-\uaa59\uabf0-\uabf9"
        "\uff10-\uff19\U000104a0-\U000104a9\U00010d30-\U00010d39\U00011066-\U0001106f"
        "\U000110f0-\U000110f9\U00011136-\U0001113f\U000111d0-\U000111d9\U000112f0-\U000112f9"
        "\U00011450-\U00011459\U000114d0-\U000114d9\U00011650-\U00011659\U000116c0-\U000116c9"
        "\U00011730-\U00011739\U000118e0-\U000118e9\U00011950-\U00011959\U00011c50-\U00011c59"
        "\U00011d50-\U00011d59\U00011da0-\U00011da9\U00016a60-\U00016a69\U00016ac0-\U00016ac9"
        "\U00016b50-\U00016b59\U0001d7ce-\U0001d7ff\U0001e140-\U0001e149\U0001e2f0-\U0001e2f9"
        "\U0001e950-\U0001e959\U0001fbf0-\U0001fbf9"
    ),
    "15.0.0": (
        "0-9\u0660-\u0669\u06f0-\u06f9\u07c0-\u07c9\u0966-\u096f\u09e6-\u09ef\u0a66-\u0a6f\u0ae6-\u0aef"
        "\u0b66-\u0b6f\u0be6-\u0bef\u0c66-\u0c6f\u0ce6-\u0cef\u0d66-\u0d6f\u0de6-\u0def\u0e50-\u0e59"
        "\u0ed0-\u0ed9\u0f20-\u0f29\u1040-\u1049\u1090-\u1099\u17e0-\u17e9\u1810-\u1819\u1946-\u194f"
        "\u19d0-\u19d9\u1a80-\u1a89\u1a90-\u1a99\u1b50-\u1b59\u1bb0-\u1bb9\u1c40-\u1c49\u1c50-\u1c59"
        "\ua620-\ua629\ua8d0-\ua8d9\ua900-\ua909\ua9d0-\ua9d9\ua9f0-\ua9f9\uaa50-\uaa59\uabf0-\uabf9"
        "\uff10-\uff19\U000104a0-\U000104a9\U00010d30-\U00010d39\U00011066-\U0001106f"
        "\U000110f0-\U000110f9\U00011136-\U0001113f\U000111d0-\U000111d9\U000112f0-\U000112f9"
        "\U00011450-\U00011459\U000114d0-\U000114d9\U00011650-\U00011659\U000116c0-\U000116c9"
        "\U00011730-\U00011739\U000118e0-\U000118e9\U00011950-\U00011959\U00011c50-\U00011c59"
        "\U00011d50-\U00011d59\U00011da0-\U00011da9\U00011f50-\U00011f59\U00016a60-\U00016a69"
        "\U00016ac0-\U00016ac9\U00016b50-\U00016b59\U0001d7ce-\U0001d7ff\U0001e140-\U0001e149"
        "\U0001e2f0-\U0001e2f9\U0001e4f0-\U0001e4f9\U0001e950-\U0001e959\U0001fbf0-\U0001fbf9"
    ),
}
DIGIT_RANGES["15.1.0"] = DIGIT_RANGES["15.0.0"]

#: re's ``\\d`` as a regex class of ranges (Unicode decimal digits, Nd), for this Python's Unicode version.
DIGIT_CLASS = "[" + (DIGIT_RANGES.get(unicodedata.unidata_version) or digit_ranges()) + "]"
