"""Test-suite settings.

On CI (the ``CI`` environment variable is set) hypothesis runs derandomized:
the same examples every run, so a red build is reproducible and never a
coin toss; locally it keeps exploring new examples.  Note that a test's own
``@settings(max_examples=...)`` takes precedence over the profile.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
# `pytest --hypothesis-profile=thorough` before a release: many more examples.
settings.register_profile("thorough", max_examples=2000, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# A refresh stamps its report with the time (the "This refresh" block); the reproducible-builds variable
# fixes that time, so two refreshes of one workbook give the same bytes in the tests.
os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01 00:00 UTC
