#!/usr/bin/env bash
# The Unsloth branch of arte.align / arte.distill, exercised on the CPU in its OWN venv ($ROOT/.venv-unsloth by default),
# because unsloth pins transformers<=5.17, trl<=1.15 and datasets<5, which must never downgrade the main venv.
# Creates the venv on first use (CPU torch + unsloth, ~3 GB, about 1 min on an idle machine), reuses it afterwards,
# installs this checkout into it (editable, --no-deps), runs tests/unsloth_cpu.py, and ends with a line
# "PASS: ..." or "FAIL: ..."; exit status 0 / 1.
#   ARTE_UNSLOTH_VENV=path   use another venv folder;   ARTE_UNSLOTH_FRESH=1   rebuild it from scratch
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${ARTE_UNSLOTH_VENV:-$ROOT/.venv-unsloth}
export OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
export ARTE_USE_UNSLOTH=1 ARTE_CACHE=${ARTE_CACHE:-$ROOT/.cache/arte}
T0=$(date +%s)
fail() { echo "FAIL: unsloth branch: $1 ($(( $(date +%s) - T0 ))s)"; exit 1; }
has() { "$VENV/bin/python" -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in sys.argv[1:]))" "$@" 2>/dev/null; }

[ "${ARTE_UNSLOTH_FRESH:-0}" = 1 ] && rm -rf "$VENV"
if ! has unsloth; then
  echo "=== creating $VENV (torch 2.13 CPU + unsloth)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" || fail "python3 -m venv"
  # the torchvision pin keeps the CPU torch (torchvision 0.29 would pull torch 2.14 + CUDA); the PyPI torchvision
  # 0.28 does not load beside torch 2.13+cpu (torchvision::nms missing) and unsloth refuses it, so remove it again
  "$VENV/bin/pip" install -q torch==2.13.0 "torchvision==0.28.*" unsloth || fail "pip install unsloth"
  "$VENV/bin/pip" uninstall -y -q torchvision || fail "pip uninstall torchvision"
  echo "--- venv ready in $(( $(date +%s) - T0 ))s, $(du -sh "$VENV" | cut -f1)"
fi
# arte itself without its pinned deps (trl>=1.16 would fight unsloth's trl<=1.15), plus what align/distill import
here=$(cd / && "$VENV/bin/python" -P -c "import arte, os; print(os.path.dirname(os.path.dirname(os.path.abspath(arte.__file__))))" 2>/dev/null)
if [ "$here" != "$ROOT" ]; then "$VENV/bin/pip" install -q --no-deps -e . || fail "pip install -e ."; fi
has fastcore matplotlib || "$VENV/bin/pip" install -q fastcore matplotlib || fail "pip install fastcore matplotlib"

echo "=== tests/unsloth_cpu.py"
log=$(mktemp)
"$VENV/bin/python" tests/unsloth_cpu.py "$@" 2>"$log.err" | tee "$log"
rc=${PIPESTATUS[0]}
if [ "$rc" = 0 ] && tail -1 "$log" | grep -q '^PASS'; then
  echo "PASS: unsloth branch (align + distill through unsloth on CPU) ($(( $(date +%s) - T0 ))s)"
else
  tail -30 "$log.err"; fail "tests/unsloth_cpu.py exited $rc"
fi
