"""Writing an output so that no reader, and no retried job, ever sees half a file.

Kept apart from the plotting code so that light processes (the rasteriser a fresh Rscript starts,
the warm fork server) can use it without importing matplotlib.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final`; on success it replaces `final` in one rename."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".partial")
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        yield temporary_path
        os.chmod(temporary_path, 0o644)  # mkstemp makes it private; outputs are for downloading
        os.replace(temporary_path, final)
    except BaseException:
        temporary_path.unlink(missing_ok=True)
        raise
