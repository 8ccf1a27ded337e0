"""Atomic file writes: a reader never sees a half-written output."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Any


def _mode_for(path: Path) -> int:
    """Permissions for a file written at path: the existing file's, else the umask's default."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write bytes to path via a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); outputs are read by other tools, often as another user
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text to path atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def read_json(path: Path, what: str) -> Any:
    """Parse a JSON file; any problem is a one-line TankerwatchError naming the file and what it should be.

    Any: the caller knows what the file should hold (and checks what it reads)."""
    import json

    from tankerwatch.schema import TankerwatchError

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TankerwatchError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise TankerwatchError(f"{path}: is a folder, expected a {what}") from None
    except UnicodeDecodeError as e:
        raise TankerwatchError(f"{path}: not UTF-8 text (byte {e.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise TankerwatchError(f"{path}: not JSON ({e.msg} at line {e.lineno} column {e.colno})") from None


FINGERPRINT_SPAN_BYTES = 1 << 20  # bytes hashed at each end of a file


def file_fingerprint(path: Path) -> str:
    """A cheap content fingerprint of a (large) file: sha256 of its size and its first and last MiB.

    A re-run redoes a scene whose fingerprint changed. Hashing whole multi-gigabyte scenes would cost a read
    of each one per run; a re-delivered or re-processed product changes its size, header or tail (GeoTIFF
    offsets, overviews, metadata), so the ends tell. The modification time is left out on purpose, so a copy
    of the same file to another disk is not redone."""
    import hashlib

    h = hashlib.sha256()
    size = os.path.getsize(path)
    h.update(str(size).encode())
    with open(path, "rb") as fh:
        h.update(fh.read(FINGERPRINT_SPAN_BYTES))
        if size > FINGERPRINT_SPAN_BYTES:
            fh.seek(max(FINGERPRINT_SPAN_BYTES, size - FINGERPRINT_SPAN_BYTES))
            h.update(fh.read(FINGERPRINT_SPAN_BYTES))
    return h.hexdigest()[:32]
