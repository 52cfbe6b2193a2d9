"""Test-suite settings.

On CI (the ``CI`` environment variable is set) hypothesis runs derandomized:
the same examples every run, so a red build is reproducible and never a
coin toss; locally it keeps exploring new examples.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
