"""Write a file beside its final name and rename it into place: a reader sees the old file or the new, never half."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _process_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# `tempfile` makes files and folders readable by their owner only; what is written here is for everyone the folder's
# permissions allow, as a file written in place would be. Read once, at import: changing the mask is not thread-safe.
_UMASK = _process_umask()


def as_usual(path: Path) -> Path:
    """Give a file or folder made by `tempfile` the permissions an ordinary new one would have."""
    path.chmod((0o777 if path.is_dir() else 0o666) & ~_UMASK)
    return path


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """A temporary path in `target`'s folder to write to; renamed to `target` if the block succeeds, else removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    os.close(handle)
    try:
        yield as_usual(Path(temporary))
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
