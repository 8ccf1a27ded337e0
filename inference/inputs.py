"""Scene inputs: what the main job can be pointed at, and the scenes (rasters) each input stands for.

`tankerwatch run` takes any mix of:

- a raster file (.tif, .tiff, .vrt, .jp2, .img, or any file GDAL opens when named directly): that scene;
- a folder: the rasters in it, by suffix (SCENE_SUFFIXES); with `--recursive`, those of its sub-folders too.
  A folder with no raster in it is an error naming it (a wrong folder must not look like a quiet night);
- a glob pattern, quoted so the shell leaves it alone ('scenes/2024-*/*.tif', '**' for any depth): the
  rasters and STAC files it matches, expanded here, the same on every shell;
- a STAC file, local: an Item stands for its raster asset, an ItemCollection for its Items' rasters and a
  Catalog or Collection for those of every Item under it. An asset's href is resolved relative to the Item
  (or the ItemCollection file) it is written in. The raster asset is the one with role "data", else
  "visual", else the first whose media type is a TIFF or JPEG 2000 image (or, untyped, whose href has a
  raster suffix); an Item with none, or whose raster is not a local file, is skipped with a one-line warning
  naming it. The Item's properties travel with its scene (`SceneInput.item`; datasets/scene.py uses its
  datetime, gsd, proj:* and view:*);
- `<scene>.json` named next to its `<scene>.tif` (as a shell's `scene.*` names both) is that scene's STAC
  sidecar, read when the scene is opened, and not a second input.

A path that does not exist, or a pattern that matches nothing, is an error naming it. Each raster runs once
however many inputs name it, in the order first named; folders list their rasters in name order. A scene's id
is its file name, so two rasters of one name (a/x.tif, b/x.tif) are an error naming both.

How an RPC-only product is put on the ground (a constant height or a DEM, `--rpc-height`, `--dem`) is
carried by every input as `SceneInput.rpc`.
"""

from __future__ import annotations

import glob
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tankerwatch.datasets.scene import RpcOrtho, StacItem
from tankerwatch.io import read_json
from tankerwatch.schema import TankerwatchError

SCENE_SUFFIXES = (".tif", ".tiff", ".vrt", ".jp2", ".img")
STAC_SUFFIX = ".json"
RASTER_ROLES = ("data", "visual")  # asset roles that hold the scene's pixels, in order of preference
RASTER_MEDIA_TYPES = ("image/tiff", "image/jp2", "image/vnd.stac.geotiff")
GLOB_CHARACTERS = frozenset("*?[")


@dataclass(frozen=True)
class SceneInput:
    """One scene to run: its raster, the STAC Item it was found through (None: its sidecar, if any, is read)
    and how it is orthorectified if it is an RPC-only product."""

    path: Path
    item: StacItem | None = None
    rpc: RpcOrtho = field(default_factory=RpcOrtho)


def find_scenes(
    inputs: Sequence[Path | str],
    recursive: bool = False,
    rpc: RpcOrtho | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[SceneInput]:
    """The scenes that files, folders, glob patterns and STAC files stand for, each raster once, in a stable order."""
    say = warn or _warn
    named = [p for raw in inputs for p in _expand(raw, recursive)]
    rasters = {p.resolve() for p in named if p.suffix.lower() != STAC_SUFFIX}
    found: list[SceneInput] = []
    for p in named:
        if p.suffix.lower() != STAC_SUFFIX:
            found.append(SceneInput(p, rpc=rpc or RpcOrtho()))
        elif not _is_sidecar_of(p, rasters):
            found += [SceneInput(path, item, rpc or RpcOrtho()) for path, item in stac_rasters(p, say)]
    found = _unique(found)
    _check_scene_ids(found)
    return found


def scene_sources(scenes: Iterable[Path | SceneInput]) -> Iterator[tuple[Path, SceneInput]]:
    """Each scene of a batch as its raster path and its SceneInput (a plain path reads its sidecar, as ever)."""
    for s in scenes:
        source = s if isinstance(s, SceneInput) else SceneInput(Path(s))
        yield source.path, source


def _warn(message: str) -> None:
    """The default warning sink: Python's warnings (the CLI prints them as one line each instead)."""
    warnings.warn(message, stacklevel=3)


def _expand(raw: Path | str, recursive: bool) -> list[Path]:
    """The files one command-line input names: itself, a folder's rasters, or a pattern's matches."""
    p = Path(raw)
    if p.is_dir():
        return folder_scenes(p, recursive)
    if p.exists():
        return [p]
    if GLOB_CHARACTERS & set(str(raw)):
        matches = sorted(glob.glob(str(raw), recursive=True))
        if not matches:
            raise TankerwatchError(f"{raw}: the pattern matches no file")
        found = []
        for m in map(Path, matches):
            if m.is_dir():
                found += folder_scenes(m, recursive)
            elif m.suffix.lower() in (*SCENE_SUFFIXES, STAC_SUFFIX) and not m.name.startswith("."):
                found.append(m)
        return found
    raise TankerwatchError(f"{p}: no such file or folder")


def folder_scenes(folder: Path, recursive: bool = False) -> list[Path]:
    """The rasters in a folder by suffix (hidden files left out; with recursive, sub-folders too), in name order."""
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    found = sorted(
        q
        for q in candidates
        if q.suffix.lower() in SCENE_SUFFIXES
        and q.is_file()
        and not any(part.startswith(".") for part in q.relative_to(folder).parts)
    )
    if not found:
        where = "in it or its sub-folders" if recursive else "in it (--recursive looks in sub-folders)"
        raise TankerwatchError(f"{folder}: no scene ({'/'.join(SCENE_SUFFIXES)}) {where}")
    return found


def _is_sidecar_of(json_path: Path, rasters: set[Path]) -> bool:
    """Whether a .json is the STAC sidecar of a raster also named on the command line."""
    return any(json_path.with_suffix(s).resolve() in rasters for s in SCENE_SUFFIXES)


def _unique(found: list[SceneInput]) -> list[SceneInput]:
    """Each raster once (the first input naming it wins: it may carry a STAC Item)."""
    seen: set[Path] = set()
    out = []
    for s in found:
        key = s.path.resolve()
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _check_scene_ids(found: list[SceneInput]) -> None:
    """Two rasters of one name would be one scene id (the file name): the second would be skipped as done, or
    with --force overwrite the first's detections, so that is an error naming both."""
    first: dict[str, Path] = {}
    for s in found:
        other = first.setdefault(s.path.stem, s.path)
        if other != s.path:
            raise TankerwatchError(
                f"{s.path}: same scene id {s.path.stem!r} as {other} (a scene's id is its file name); "
                "rename one or run them apart"
            )


def stac_rasters(path: Path, warn: Callable[[str], None]) -> list[tuple[Path, StacItem]]:
    """The raster and Item of every Item a local STAC Item, ItemCollection, Catalog or Collection holds."""
    import pystac

    doc = read_json(path, "STAC Item, ItemCollection or Catalog")
    kind = doc.get("type") if isinstance(doc, dict) else None
    try:
        if kind == "Feature":
            items = [pystac.Item.from_file(str(path))]
        elif kind == "FeatureCollection":
            items = list(pystac.ItemCollection.from_file(str(path)))
        elif kind in ("Catalog", "Collection"):
            items = list(pystac.read_file(str(path)).get_items(recursive=True))  # type: ignore[attr-defined]
        else:
            raise TankerwatchError(f"{path}: not a STAC Item, ItemCollection or Catalog (type {kind!r})")
    except (pystac.STACError, KeyError, TypeError, ValueError, OSError) as e:
        raise TankerwatchError(f"{path}: cannot read STAC ({type(e).__name__}: {str(e).splitlines()[0]})") from None
    out = []
    for item in items:
        base = Path(item.get_self_href() or path).parent
        raster = item_raster(item.assets, base)
        name = f"STAC Item {item.id!r} ({item.get_self_href() or path})"
        if raster is None:
            warn(f"{name}: no local raster asset (role data/visual or a TIFF/JPEG 2000 image); skipped")
        elif not raster.exists():
            warn(f"{name}: raster asset {raster} not found; skipped")
        else:
            out.append((raster, StacItem(item.id, dict(item.properties), name)))
    return out


def item_raster(assets: dict[str, Any], base: Path) -> Path | None:
    """The local file of an Item's raster asset (by role, then media type, then suffix), None if it has none."""
    chosen = pick_raster_asset(assets)
    if chosen is None:
        return None
    url = urlparse(chosen.href)
    if url.scheme not in ("", "file") and len(url.scheme) > 1:  # one letter: a Windows drive, not a scheme
        return None
    p = Path(unquote(url.path) if url.scheme == "file" else chosen.href)
    return p if p.is_absolute() else (base / p).resolve()


def pick_raster_asset(assets: dict[str, Any]) -> Any | None:
    """The asset holding the scene's pixels: role data, else visual, else the first TIFF/JPEG 2000 by media
    type, else the first untyped asset whose href has a raster suffix (assets: pystac Assets by key)."""
    values = list(assets.values())
    for role in RASTER_ROLES:
        for a in values:
            if role in (a.roles or []) and _looks_raster(a):
                return a
    for a in values:
        if a.media_type and a.media_type.split(";")[0].strip().lower() in RASTER_MEDIA_TYPES:
            return a
    for a in values:
        if not a.media_type and Path(urlparse(a.href).path).suffix.lower() in SCENE_SUFFIXES:
            return a
    return None


def _looks_raster(asset: Any) -> bool:
    """Whether an asset with a pixel role is an image (a data role also labels tables and metadata)."""
    if asset.media_type:
        return asset.media_type.split(";")[0].strip().lower() in RASTER_MEDIA_TYPES
    return Path(urlparse(asset.href).path).suffix.lower() in SCENE_SUFFIXES
