#!/usr/bin/env bash
# The GPU checks in one call of a lent H100/H200 host (15 minutes of device time in all, start-up included).
#
# Prepare here (network, this machine), then hand the device tool one command:
#   bash training/gpu_wheels.sh                # the packages the device image lacks, and tankerwatch, into .whl/
#   run(command="bash benchmarks/gpu.sh", carry=[".whl"], timeout_s=600)
#
# On the device host it
#   1. installs the carried wheels into the image's python3 (no index: nothing is downloaded);
#   2. runs the CUDA test (every GPU finds what the CPU finds);
#   3. runs the main job full scene on an 8192 x 8192 px 0.5 m scene on GPU 0, PyTorch fp16, and prints its
#      MP/s, recall and the GPU's busy share (benchmarks/throughput.py --device 0 --skip-sahi; NVML sampled);
#   4. runs the batch benchmark on the GPU (benchmarks/batch.py, 12 generated scenes).
# Logs go to $OUT (the device tool brings them back); the last lines are the figures. Each step has its own
# time limit, so that one slow step cannot eat the others' share of the lease.
set -uo pipefail
cd "$(dirname "$0")/.."

OUT="${OUT:-/tmp/tankerwatch-gpu}"
mkdir -p "$OUT"
export TANKERWATCH_HOME="$OUT/home"
py=python3
step() {  # step NAME SECONDS CMD...: run CMD under a time limit, log to $OUT/NAME.log, remember its exit status
    local name=$1 limit=$2
    shift 2
    local t0=$SECONDS
    timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
    local rc=$?
    echo "$name: exit $rc in $((SECONDS - t0)) s" | tee -a "$OUT/steps.txt"
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
# editable, so that the benchmarks (which put the repository first on sys.path) import the package they run
step install 120 bash -c "$py -m pip install --no-index --no-deps \$(ls .whl/*.whl | grep -v /tankerwatch-) &&
    $py -m pip install --no-index --no-deps --no-build-isolation -e ."
step cuda-tests 150 $py -m pytest -q -p no:cacheprovider tests/test_detector.py -k gpu
step throughput 330 $py benchmarks/throughput.py --device 0 --skip-sahi --size 8192 --workdir "$OUT/bench"
step batch 150 $py benchmarks/batch.py --scenes 12 --workdir "$OUT/batch" --set detect.device=0

echo "---- figures"
cat "$OUT/steps.txt"
tail -n 3 "$OUT/cuda-tests.log"
grep -E "MP/s|GPU busy" "$OUT/throughput.log" | head -n 5
grep -E "scenes/hour|MP/s" "$OUT/batch.log"
