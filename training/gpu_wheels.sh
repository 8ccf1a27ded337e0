#!/usr/bin/env bash
# Wheels the GPU image lacks, for training/gpu_job.sh and benchmarks/gpu.sh on a machine with no registry: into .whl/ (git-ignored;
# the device tool carries it). The image has Python 3.12, torch, torchvision, numpy, scipy, opencv and tqdm.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .whl
python3 -m pip download --quiet --dest .whl --only-binary=:all: --python-version 3.12 \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
  --no-deps ultralytics ultralytics-thop rasterio affine click-plugins cligj shapely pyproj polars pystac
python3 -m pip wheel --quiet --no-deps --wheel-dir .whl .  # tankerwatch itself
du -sh .whl  # the device tool carries at most 64 MiB
