#!/usr/bin/env bash
# The documented Unsloth install, resolved and tested on the CPU.
#
# 1. Resolution: `pip install --dry-run --report` of the documented command, pip install "arte[unsloth]" (this checkout
#    standing for arte), with --ignore-installed, i.e. what a fresh venv would get. Prints the versions it resolves to
#    and fails unless unsloth is at least the version the `unsloth` extra in pyproject.toml names (the tested release).
# 2. The resolved set, installed: a venv of its own ($ROOT/.venv-unsloth; built once, reused while the resolution is
#    unchanged) with the same command plus a CPU torch pin, and WITH dependencies (no --no-deps anywhere). It checks
#    that unsloth, unsloth_zoo, trl, transformers, peft and datasets there are exactly the resolved versions.
# 3. tests/unsloth_cpu.py in that venv: align/distill through Unsloth, and the plain TRL path on the CPU with the trl
#    Unsloth allows. Ends with "PASS: ..." or "FAIL: ..."; exit status 0 / 1.
#   ARTE_UNSLOTH_VENV=path   use another venv folder;   ARTE_UNSLOTH_FRESH=1   rebuild it from scratch
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${ARTE_UNSLOTH_VENV:-$ROOT/.venv-unsloth}
export OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
export ARTE_CACHE=${ARTE_CACHE:-$ROOT/.cache/arte}
T0=$(date +%s)
fail() { echo "FAIL: unsloth: $1 ($(( $(date +%s) - T0 ))s)"; exit 1; }
PKGS="unsloth unsloth_zoo trl transformers peft datasets accelerate bitsandbytes torch"
# the documented release: the floor of the extra, e.g. unsloth = ["unsloth>=2026.10.9", ...]
DOCUMENTED=$(python3 - <<'PY'
import re, pathlib
m = re.search(r'^unsloth\s*=\s*\[\s*"unsloth>=([\w.]+)"', pathlib.Path("pyproject.toml").read_text(), re.M)
print(m.group(1) if m else "")
PY
)
[ -n "$DOCUMENTED" ] || fail "pyproject.toml: the unsloth extra names no unsloth>=VERSION"

[ "${ARTE_UNSLOTH_FRESH:-0}" = 1 ] && rm -rf "$VENV"
[ -x "$VENV/bin/pip" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q -U pip; } || fail "python3 -m venv $VENV"
PIP="$VENV/bin/pip"

echo "=== resolving: pip install \"arte[unsloth]\" (fresh-venv resolution: --dry-run --ignore-installed)"
REPORT="$VENV/resolution.json"
"$PIP" install -q --dry-run --ignore-installed --report "$REPORT.new" ".[unsloth]" > "$VENV/resolution.log" 2>&1 \
  || { grep -v "is ignored" "$VENV/resolution.log" | tail -20; fail "pip cannot resolve arte[unsloth]"; }
versions() { python3 - "$1" $PKGS <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
got = {i["metadata"]["name"].lower().replace("-", "_"): i["metadata"]["version"] for i in r["install"]}
print(" ".join(f"{p}=={got.get(p, 'absent')}" for p in sys.argv[2:]))
PY
}
RESOLVED=$(versions "$REPORT.new")
echo "resolved: $RESOLVED"
US=$(echo "$RESOLVED" | tr ' ' '\n' | sed -n 's/^unsloth==//p')
python3 -c "
import sys
v = lambda s: tuple(int(x) for x in s.split('.') if x.isdigit())
sys.exit(0 if v('$US') >= v('$DOCUMENTED') else 1)" 2>/dev/null \
  || fail "arte[unsloth] resolves to unsloth $US, older than the documented $DOCUMENTED (the resolver backtracked)"
echo "arte[unsloth] resolves to unsloth $US (documented: unsloth $DOCUMENTED)"

# 2. the resolved set; rebuilt when the resolution changes
if [ ! -f "$REPORT" ] || [ "$(versions "$REPORT")" != "$RESOLVED" ] || ! "$VENV/bin/python" -c "import unsloth" >/dev/null 2>&1; then
  echo "=== installing the resolved set into $VENV (CPU torch; downloads ~0.5 GB the first time)"
  # the CPU torch pin stands in for the CUDA torch a GPU machine has; torchvision 0.28 (which unsloth pulls) does not
  # load beside torch 2.13+cpu (torchvision::nms missing) and unsloth refuses it, so it is removed again
  "$PIP" install -q torch==2.13.0 -e ".[unsloth]" > "$VENV/install.log" 2>&1 \
    || { grep -v "is ignored" "$VENV/install.log" | tail -20; fail "pip install arte[unsloth]"; }
  "$PIP" uninstall -y -q torchvision || true
  mv "$REPORT.new" "$REPORT"
  echo "--- venv ready in $(( $(date +%s) - T0 ))s, $(du -sh "$VENV" | cut -f1)"
else rm -f "$REPORT.new"
fi
# this checkout, editable (the tests see this tree), with its dependencies (already satisfied: nothing else changes)
here=$(cd / && "$VENV/bin/python" -P -c "import arte, os; print(os.path.dirname(os.path.dirname(os.path.abspath(arte.__file__))))" 2>/dev/null)
[ "$here" = "$ROOT" ] || { "$PIP" install -q -e . > "$VENV/install.log" 2>&1 || { tail -20 "$VENV/install.log"; fail "pip install -e ."; }; }
INSTALLED=$("$VENV/bin/python" - $PKGS <<'PY'
import sys, importlib.metadata as md
def ver(p):
    try: return md.version(p)
    except md.PackageNotFoundError: return "absent"
print(" ".join(f"{p}=={ver(p)}" for p in sys.argv[1:]))
PY
)
echo "installed: $INSTALLED"
for p in unsloth unsloth_zoo trl transformers peft datasets; do
  a=$(echo "$RESOLVED" | tr ' ' '\n' | grep "^$p=="); b=$(echo "$INSTALLED" | tr ' ' '\n' | grep "^$p==")
  [ "$a" = "$b" ] || fail "the venv has $b but the resolution says $a"
done
echo "the venv holds exactly the resolved unsloth, unsloth_zoo, trl, transformers, peft and datasets"

log=$(mktemp)
for mode in unsloth plain; do
  echo "=== tests/unsloth_cpu.py ($mode)"
  flag=(); [ $mode = plain ] && flag=(--plain)
  "$VENV/bin/python" tests/unsloth_cpu.py "${flag[@]}" "$@" 2>"$log.err" | tee "$log"
  rc=${PIPESTATUS[0]}
  if [ "$rc" != 0 ] || ! tail -1 "$log" | grep -q '^PASS'; then tail -30 "$log.err"; fail "tests/unsloth_cpu.py ($mode) exited $rc"; fi
done
echo "PASS: arte[unsloth] resolves to unsloth $US; align + distill through Unsloth, and plain TRL on the CPU, in exactly that set ($(( $(date +%s) - T0 ))s)"
