"""Atomic writes: whole files only, readable by the feed's other users."""

from __future__ import annotations

import os
import stat

import pytest

from tankerwatch.io import atomic_write_bytes, atomic_write_text


@pytest.fixture
def umask_022():
    """Run with the usual umask, whatever the test runner set."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_file_gets_the_usual_permissions_not_the_temp_files(tmp_path, umask_022):
    # other tools (the alert-feed consumers) read these files, often as another user
    atomic_write_text(tmp_path / "alerts.jsonl", "{}\n")
    assert stat.S_IMODE((tmp_path / "alerts.jsonl").stat().st_mode) == 0o644


def test_a_rewrite_keeps_the_files_permissions(tmp_path, umask_022):
    path = tmp_path / "alerts.geojson"
    path.write_text("old")
    path.chmod(0o640)
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "detections.geojson"
    path.write_text("old")
    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["detections.geojson"]


def test_file_fingerprint_follows_content_not_time(tmp_path):
    """The same bytes give the same fingerprint (a copy, a touch); a change at either end or in size does not."""
    import os

    from tankerwatch.io import FINGERPRINT_SPAN_BYTES, file_fingerprint

    data = bytearray(os.urandom(3 * FINGERPRINT_SPAN_BYTES))
    a, b = tmp_path / "a.tif", tmp_path / "b.tif"
    a.write_bytes(data)
    b.write_bytes(data)
    os.utime(b, (1, 1))
    assert file_fingerprint(a) == file_fingerprint(b)
    for change in (0, len(data) - 1):
        changed = bytearray(data)
        changed[change] ^= 0xFF
        b.write_bytes(changed)
        assert file_fingerprint(b) != file_fingerprint(a)
    b.write_bytes(data + b"x")
    assert file_fingerprint(b) != file_fingerprint(a)
    small = tmp_path / "small.tif"
    small.write_bytes(b"tiny")
    assert file_fingerprint(small) != file_fingerprint(a)
