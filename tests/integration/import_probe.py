"""A module no worker may import: it leaves a file behind when imported (test_rq_jobs.py).

A job naming `tests.integration.import_probe.touch` must be refused from its name alone; if
a worker imported this module to look the function up, the marker file would appear.
"""

import os
from pathlib import Path

_marker = os.environ.get("PLOTFORGE_IT_IMPORT_MARKER")
if _marker:
    Path(_marker).write_text("imported\n", encoding="utf-8")


def touch(path: str) -> None:
    Path(path).write_text("called\n", encoding="utf-8")
