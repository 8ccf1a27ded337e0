"""Shared fixtures. The network is blocked for every test: nothing may reach it at run time."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from tankerwatch.datasets.synth import SceneSpec, ShipSpec, generate_scene, write_scene

REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld"
_LOCAL_PREFIXES = ("127.", "::1", "localhost", "0.0.0.0")


class NetworkBlocked(RuntimeError):
    """Raised when code under test tries to reach a non-local address."""


def _is_local(address) -> bool:
    host = address[0] if isinstance(address, tuple) else str(address)
    return isinstance(host, str) and (host.startswith(_LOCAL_PREFIXES) or host == "")


@pytest.fixture(autouse=True, scope="session")
def block_network():
    """Fail any attempt to open a connection or resolve a name outside this machine."""
    real_connect, real_connect_ex, real_getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def connect(self, address):
        if self.family == socket.AF_UNIX or _is_local(address):
            return real_connect(self, address)
        raise NetworkBlocked(f"test tried to connect to {address}")

    def connect_ex(self, address):
        if self.family == socket.AF_UNIX or _is_local(address):
            return real_connect_ex(self, address)
        raise NetworkBlocked(f"test tried to connect to {address}")

    def getaddrinfo(host, *args, **kwargs):
        if host is None or _is_local((host,)):
            return real_getaddrinfo(host, *args, **kwargs)
        raise NetworkBlocked(f"test tried to resolve {host}")

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
    yield
    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = (
        real_connect,
        real_connect_ex,
        real_getaddrinfo,
    )


def small_spec(**kw) -> SceneSpec:
    """A small, fast synthetic scene spec at Vostochny (inside the RU-VOS port polygon)."""
    base = dict(
        seed=7,
        width_m=400.0,
        height_m=400.0,
        gsd_m=1.0,
        center_lon=133.065,
        center_lat=42.7475,
        crs="utm",
        n_tankers=2,
        n_others=2,
    )
    base.update(kw)
    return SceneSpec(**base)


@pytest.fixture
def scene_factory(tmp_path):
    """Write a synthetic scene and return its .tif path."""

    def make(name: str = "scene", **kw) -> Path:
        return write_scene(generate_scene(small_spec(**kw)), tmp_path / "scenes", name)

    return make


@pytest.fixture
def one_tanker_ship():
    """A single 120 x 18 m tanker in mid-scene, heading 30 degrees."""
    return ShipSpec("product_tanker", 120.0, 18.0, 200.0, 200.0, 30.0, imo="1000019", name="TEST ONE")


class DarkIsWater:
    """A stand-in water mask model (models/watermask.py: WaterMasker): dark pixels are water."""

    gsd_m = 4.0

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        """Water probability: 1 where dark."""
        return (rgb.mean(axis=2) < 90).astype(np.float32)

    def water(self, rgb: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """Water (uint8)."""
        return (self.predict(rgb) >= threshold).astype(np.uint8)
