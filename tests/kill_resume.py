"""Kill `arte run` with SIGKILL during scoring and again during DPO, rerun, and compare with an uninterrupted run.

    python tests/kill_resume.py [--config tests/kill.toml] [--work /tmp/arte-kill]

1. `arte run CONFIG --out WORK/ref` runs uninterrupted.
2. `arte run CONFIG --out WORK/killed` is started, and SIGKILLed as soon as its log says the score stage is running
; started again and SIGKILLed as soon as the
   align (DPO) stage is running; then started a third time and left to finish.
3. The check: every saved dataset (drafts, scored drafts, pairs, tailored data, training sets), every adapter's
   weights and the evaluation rows of metrics.json are identical between the two run folders, and the last rerun's
   log shows the stages finished before the kills as skipped (no finished work redone).
Prints one line per check and PASS/FAIL; exit status 0/1.
"""
import argparse, hashlib, json, os, shutil, signal, subprocess, sys, time
from pathlib import Path

def arte(*args): return [sys.executable, "-c", "import sys; from arte.cli import main; sys.exit(main())", *args]

def run_until(cfg, out, marker, shard_glob=None, timeout=1800):
    "Start `arte run`, SIGKILL it once `marker` appears in run.log (and a shard exists, if asked); return seconds."
    t0 = time.time()
    p = subprocess.Popen(arte("run", cfg, "--out", str(out), "--quiet"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    log = Path(out)/"run.log"; seen = None
    while p.poll() is None and time.time() - t0 < timeout:
        txt = log.read_text() if log.exists() else ""
        if marker in txt.split("arte run:")[-1]:
            seen = seen or time.time()
            if shard_glob is None or list(Path(out).glob(shard_glob)) or time.time() - seen > 20: break
        time.sleep(0.05)
    if p.poll() is not None: raise SystemExit(f"FAIL: the run ended before '{marker}' (exit {p.returncode}); see {log}")
    os.killpg(p.pid, signal.SIGKILL); p.wait()
    return time.time() - t0

def digest_dir(d):
    "A hash of every file in an HF dataset or adapter folder (timestamps excluded)."
    h = hashlib.sha256()
    for f in sorted(Path(d).rglob("*")):
        if f.is_file() and f.name not in ("state.json",) and not f.name.startswith("."):
            if f.suffix == ".json" and f.name == "dataset_info.json": continue
            h.update(f.relative_to(d).as_posix().encode()); h.update(f.read_bytes())
    return h.hexdigest()[:16]

def outputs(root):
    "Digest of every dataset/adapter a run saved, keyed by its path in the run folder."
    res = {}
    for p in sorted(Path(root).glob("round-*/*/*")):
        if p.is_dir() and p.name not in ("shards", "trainer") and (any(p.glob("*.arrow")) or (p/"adapter_model.safetensors").exists() or (p/"EMPTY").exists()):
            if p.name == "adapter" or (p/"adapter_model.safetensors").exists():
                res[str(p.relative_to(root))] = hashlib.sha256((p/"adapter_model.safetensors").read_bytes()).hexdigest()[:16]
            else:
                from datasets import load_from_disk
                rows = [] if (p/"EMPTY").exists() else load_from_disk(str(p)).to_list()
                res[str(p.relative_to(root))] = hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return res

def main():
    ap = argparse.ArgumentParser(); ap.add_argument("--config", default=str(Path(__file__).with_name("kill.toml")))
    ap.add_argument("--work", default="/tmp/arte-kill"); a = ap.parse_args()
    work = Path(a.work); shutil.rmtree(work, ignore_errors=True); work.mkdir(parents=True)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    ok, lines = True, []
    def check(name, cond, detail=""):
        nonlocal ok; ok &= bool(cond); print(f"{'ok  ' if cond else 'FAIL'} {name}{': ' + str(detail) if detail else ''}", flush=True)
    t = time.time(); r = subprocess.run(arte("run", a.config, "--out", str(work/"ref"), "--quiet"), capture_output=True, text=True)
    check("uninterrupted run", r.returncode == 0, f"{time.time()-t:.0f}s" + (f" {r.stderr[-500:]}" if r.returncode else ""))
    s1 = run_until(a.config, work/"killed", "score (round 1): running")
    check("killed during scoring", not (work/"killed"/"round-1"/"score"/"_stage.json").exists(), f"after {s1:.0f}s")
    s2 = run_until(a.config, work/"killed", "align (round 1): running")
    check("killed during DPO", not (work/"killed"/"round-1"/"align"/"_stage.json").exists(), f"after {s2:.0f}s")
    log2 = (work/"killed"/"run.log").read_text().split("arte run:")[2]
    check("the second start skipped the stages finished before the first kill",
          all(f"{s}{sfx}: skipped" in log2 for s, sfx in [("prefset", ""), ("draft", " (round 1)")]))
    t = time.time(); r = subprocess.run(arte("run", a.config, "--out", str(work/"killed"), "--quiet"), capture_output=True, text=True)
    check("final rerun", r.returncode == 0, f"{time.time()-t:.0f}s" + (f" {r.stderr[-500:]}" if r.returncode else ""))
    log3 = (work/"killed"/"run.log").read_text().split("arte run:")[3]
    skipped = [s for s in ("prefset", "draft", "score", "pairs") if f"{s}{'' if s == 'prefset' else ' (round 1)'}: skipped" in log3]
    check("the final rerun skipped every stage finished before the second kill", skipped == ["prefset", "draft", "score", "pairs"], skipped)
    A, B = outputs(work/"ref"), outputs(work/"killed")
    check("same saved datasets and adapters", A == B and len(A) > 0, f"{len(A)} outputs" + ("" if A == B else f"; differ: {[k for k in set(A) | set(B) if A.get(k) != B.get(k)]}"))
    ma, mb = json.loads((work/"ref"/"metrics.json").read_text()), json.loads((work/"killed"/"metrics.json").read_text())
    check("same evaluation rows in metrics.json", ma["eval"] == mb["eval"] and len(ma["eval"]) > 0, f"{len(ma['eval'])} rows")
    sc = json.loads((work/"ref"/"round-1"/"score"/"_stage.json").read_text())["summary"]
    al = json.loads((work/"ref"/"round-1"/"align"/"_stage.json").read_text())["summary"]
    check("scoring and DPO did real work", sc.get("rows", 0) > 0 and al.get("aligned"), f"{sc.get('rows')} scored drafts, DPO steps {al.get('steps')}")
    print("PASS: kill -9 during scoring and DPO, then rerun, gives exactly the uninterrupted run's data" if ok else "FAIL: kill/resume")
    sys.exit(0 if ok else 1)

if __name__ == "__main__": main()
