#!/usr/bin/env bash
# The detector's GPU job: on a GPU host with 16 cores, generate the transfer data there, train YOLO11s-OBB,
# evaluate, and leave weights, logs and reports in one folder -- all inside 15 minutes including start-up.
#
#   bash training/gpu_job.sh OUT_DIR            # any GPU host with this repository installed
#   bash training/gpu_job.sh "$OUT"             # the lent device machine: carry .whl (training/gpu_wheels.sh)
#
# Budget (minutes, 16 cores, one H100/H200): install 1, data 2.5, training 7 (configs/train/small-gpu-job.yaml,
# hyper.time), hard-port evaluation 1.5, real-imagery evaluation where ../shared/realworld/imagery exists 1.
# TW_TRAIN_HOURS overrides the training time; TW_SCENES / TW_COMPOSITES the data size.
set -euo pipefail
OUT_DIR="$(realpath -m "${1:?usage: gpu_job.sh OUT_DIR}")"
cd "$(dirname "$0")/.."
mkdir -p "$OUT_DIR"
exec > >(tee -a "$OUT_DIR/job.log") 2>&1
export TANKERWATCH_HOME="$OUT_DIR/home"
start=$(date +%s)
stamp() { echo "[gpu_job $(( $(date +%s) - start )) s] $*"; }

PY="${TW_PYTHON:-python3}"
if ! command -v tankerwatch >/dev/null; then
  stamp "install (offline, from .whl)"
  [ -d .whl ] || { echo "gpu_job: tankerwatch is not installed and there is no .whl folder (run training/gpu_wheels.sh)"; exit 2; }
  # the image has torch, torchvision, numpy, scipy, opencv, yaml, click and tqdm; .whl the rest (no resolver offline)
  $PY -m pip install --quiet --no-index --no-deps .whl/*.whl
fi
$PY - <<'PY' || { echo "gpu_job: no CUDA device (or no torch) for $PY"; exit 2; }
import sys
try:
    import torch
except ImportError:
    sys.exit(1)
if not torch.cuda.is_available():
    sys.exit(1)
print("gpu_job: torch", torch.__version__, "on", torch.cuda.get_device_name(0))
PY

CORES=$(nproc)
stamp "data: rendered scenes, composites on real water, real land ($CORES cores)"
tankerwatch dataset transfer --out "$OUT_DIR/data" --scenes "${TW_SCENES:-900}" --val-scenes 30 \
  --composites "${TW_COMPOSITES:-1500}" --val-composites 60 --workers "$CORES" 2>&1 | tail -n 3

stamp "training YOLO11s-OBB"
tankerwatch train --config configs/train/small-gpu-job.yaml --data "$OUT_DIR/data/data.yaml" \
  --run-dir "$OUT_DIR/run" --device 0 ${TW_TRAIN_HOURS:+--hours "$TW_TRAIN_HOURS"}
BEST="$OUT_DIR/run/weights/best.pt"

stamp "hard-port evaluation (evaluation seeds, never trained on)"
for g in 0.5 1.0; do
  tankerwatch synth --out "$OUT_DIR/hardport" --n 2 --seed "$([ "$g" = 0.5 ] && echo 9000050 || echo 9000100)" \
    --gsd "$g" --hard-port >/dev/null
done
mkdir -p "$OUT_DIR/eval"
REAL=()
[ -f ../shared/realworld/imagery/index.csv ] && REAL=(--real ../shared/realworld/imagery)
tankerwatch eval "$OUT_DIR/hardport" "${REAL[@]}" --model "$BEST" --device 0 --out "$OUT_DIR/eval" \
  | tee "$OUT_DIR/eval/summary.txt"
rm -rf "$OUT_DIR/data/images" "$OUT_DIR/data/labels" "$OUT_DIR/home"  # regenerated from seeds; keep the yaml
stamp "done: weights $BEST, reports in $OUT_DIR/eval"
