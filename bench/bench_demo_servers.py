"""The demo config (`arte demo`) as `arte run` twice in fresh folders: in process, and on a vLLM server that arte starts.

Run 1 ("local"): `demo_config()` as is. Run 2 ("vllm"): the same with `teacher_server = student_server = "vllm"`, so arte
starts vLLM's OpenAI-compatible server on the embedded SmolLM2-135M, generates and scores through it, hot-loads each
trained LoRA adapter into it, and stops it at the end. Both runs get OMP_NUM_THREADS (default 1) and fp32.

Measured per run: wall time; peak RSS of the `arte run` process and, separately, of the server's process tree (all
processes below `arte run`, RSS summed, sampled every 0.5 s); CPU seconds of both; seconds and CPU seconds per stage
(each stage folder's `_stage.json`). For the server run also: the model ids `/v1/models` listed while the run was live
(polled every 2 s), the "adapter X loaded on URL" lines of run.log, and the requests the server answered (its access log
and `vllm:request_success_total`). Finally the two runs' `eval` rows (accuracy per method, task, shots) side by side.

    ARTE_VLLM_PYTHON=/path/to/vllm-venv/bin/python OMP_NUM_THREADS=1 python bench/bench_demo_servers.py --work DIR

Each run's folder is DIR/local and DIR/vllm; a run whose metrics.json is already there is not run again (pass --fresh to
redo it), so the benchmark can be finished in two sittings. Results: bench/results/bench_demo_servers.{json,md}.
"""
import argparse, json, os, re, subprocess, sys, threading, time, urllib.request
sys.path.insert(0, os.path.dirname(__file__))
from pathlib import Path
from _bench_common import machine, command, save

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--work", required=True, help="a folder for the two run folders and their config files")
p.add_argument("--python", default=os.environ.get("ARTE_VLLM_PYTHON"), help="vLLM's Python (default $ARTE_VLLM_PYTHON)")
p.add_argument("--runs", default="vllm,local", help="which runs, in this order (comma-separated: vllm, local)")
p.add_argument("--fresh", action="store_true", help="delete and redo a run whose folder exists")
p.add_argument("--preset", default=None, help="override the demo's preset (e.g. tiny, to try the script quickly)")
p.add_argument("--note", default="", help="a paragraph for the results (what the runs showed)")
p.add_argument("--name", default="bench_demo_servers", help="results file name under bench/results/")
a = p.parse_args()
if "vllm" in a.runs and (not a.python or not Path(a.python).exists()):
    sys.exit(f"bench_demo_servers: vLLM's Python not found ({a.python!r}): pass --python or set ARTE_VLLM_PYTHON")
threads = os.environ.get("OMP_NUM_THREADS", "1")
work = Path(a.work).resolve(); work.mkdir(parents=True, exist_ok=True)

import psutil
from arte.config import DEMO
VLLM_ARGS = ["--dtype", "float32", "--max-model-len", "2048"]

def toml_value(v):
    if isinstance(v, str): return json.dumps(v)
    if isinstance(v, bool): return str(v).lower()
    if isinstance(v, (int, float)): return str(v)
    if isinstance(v, list): return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(v)

def config(kind)->Path:
    "The demo config file of run `kind` (the keys of `arte.config.DEMO`, plus the server keys for vllm)."
    cfg = dict(DEMO, **({"preset": a.preset} if a.preset else {}))
    # generate-mode scoring on both sides: vLLM with runtime LoRA fails on prompt log-probabilities (check_config refuses it)
    cfg["score_mode"] = "generate"
    if kind == "vllm": cfg.update(teacher_server="vllm", student_server="vllm", vllm_args=VLLM_ARGS, vllm_python=a.python)
    f = work/f"{kind}.toml"
    f.write_text("".join(f"{k} = {toml_value(v)}\n" for k, v in cfg.items()))
    return f

def get(url, timeout=3):
    try: return urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=timeout).read().decode()
    except OSError: return None

class Watch:
    "Samples `arte run` (pid) and everything below it every 0.5 s; for a server run, polls /v1/models and /metrics every 2 s."
    def __init__(self, pid, out:Path):
        self.pid, self.out, self.stop = pid, out, False
        self.arte_peak = self.server_peak = 0.0; self.cpu = {}; self.ids, self.requests, self.url, self.server_pids = [], None, None, set()
        self.t = threading.Thread(target=self.loop, daemon=True); self.t.start()
    def loop(self):
        k = 0
        while not self.stop:
            try: self.sample(k)
            except Exception as e: print(f"watch: {type(e).__name__}: {e}", flush=True)
            k += 1; time.sleep(0.5)
    def sample(self, k):
            try:
                root = psutil.Process(self.pid); kids = root.children(recursive=True)
                self.arte_peak = max(self.arte_peak, root.memory_info().rss / 2**20)
                self.cpu[self.pid] = sum(root.cpu_times()[:2])
                rss = 0.0
                for c in kids:
                    try: rss += c.memory_info().rss / 2**20; self.cpu[c.pid] = sum(c.cpu_times()[:2]); self.server_pids.add(c.pid)
                    except psutil.Error: pass
                self.server_peak = max(self.server_peak, rss)
            except psutil.Error: pass
            if k % 4 == 0: self.poll()
    def poll(self):
        if self.url is None:
            try: m = re.search(r"generation on (http://\S+/v1)", (self.out/"run.log").read_text(errors="replace"))
            except OSError: m = None
            self.url = m and m.group(1)
        if not self.url: return
        t = get(self.url + "/models")
        if t:
            for i in (m["id"] for m in json.loads(t).get("data", [])):
                if i not in self.ids: self.ids.append(i)
        t = get(self.url.removesuffix("/v1") + "/metrics")
        if t:
            v = [float(x) for x in re.findall(r"^vllm:request_success_total(?:{[^}]*})?\s+([0-9.eE+-]+)$", t, re.M)]
            if v: self.requests = sum(v)
    def close(self): self.stop = True; self.t.join()

def run(kind)->dict:
    out = work/kind
    if ((out/"metrics.json").exists() or (work/f"{kind}.measure.json").exists()) and not a.fresh:  # finished, or failed: measured
        print(f"{kind}: {out} was run already; reading it (--fresh runs it again)", flush=True)
        return json.loads((work/f"{kind}.measure.json").read_text()) if (work/f"{kind}.measure.json").exists() else {}
    if out.exists(): subprocess.run(["rm", "-rf", str(out)], check=True)
    env = {**os.environ, "OMP_NUM_THREADS": threads, "TOKENIZERS_PARALLELISM": "false", "VLLM_CPU_KVCACHE_SPACE": "2"}
    argv = [sys.executable, "-c", "import sys; from arte.cli import main; sys.exit(main())", "run", str(config(kind)), "--out", str(out), "--quiet"]
    print(f"{kind}: {' '.join(argv)}", flush=True)
    la0, t0 = [round(x, 2) for x in os.getloadavg()], time.perf_counter()
    with open(work/f"{kind}.stdout", "w") as f: proc = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, env=env)
    w = Watch(proc.pid, out)
    rc = proc.wait(); wall = time.perf_counter() - t0; w.close()
    arte_cpu = w.cpu.get(proc.pid, 0.0); server_cpu = sum(v for k, v in w.cpu.items() if k != proc.pid)
    m = dict(rc=rc, wall_s=round(wall, 1), arte_peak_rss_mb=round(w.arte_peak, 1), server_peak_rss_mb=round(w.server_peak, 1),
             arte_cpu_s=round(arte_cpu, 1), server_cpu_s=round(server_cpu, 1), loadavg_start=la0,
             loadavg_end=[round(x, 2) for x in os.getloadavg()], server_url=w.url, models_listed=w.ids, requests_metrics=w.requests)
    (work/f"{kind}.measure.json").write_text(json.dumps(m, indent=1))
    print(f"{kind}: {m}", flush=True)
    if rc: print((work/f"{kind}.stdout").read_text()[-3000:], flush=True)
    return m

ORDER = ["prefset", "draft", "score", "pairs", "align", "gain", "generate", "baselines", "distill", "evaluate"]

def stages(out:Path)->list:
    "Seconds, CPU seconds and peak RSS of each finished stage, from its `_stage.json`, in run order (metrics.json's, else ORDER)."
    met = json.loads((out/"metrics.json").read_text()) if (out/"metrics.json").exists() else \
        dict(stages=[dict(name=n, round=None if n == "prefset" else 1) for n in ORDER])  # a stopped run: its finished stages
    rows = []
    for s in met.get("stages", []):
        f = out/(f"round-{s['round']}/" if s.get("round") else "")/s["name"]/"_stage.json"
        d = json.loads(f.read_text()) if f.exists() else {}
        if not d and "seconds" not in s: continue
        rows.append(dict(stage=s["name"], round=s.get("round"), seconds=d.get("seconds", s.get("seconds")),
                         cpu_seconds=d.get("cpu_seconds"), peak_rss_mb=d.get("peak_rss_mb", s.get("peak_rss_mb")), skipped=s.get("skipped")))
    return rows

cmd = command().replace(a.python or "$ARTE_VLLM_PYTHON", "$ARTE_VLLM_PYTHON").replace(a.work, "DIR")  # no machine paths in the results
if a.note: cmd = cmd.replace(a.note, '"NOTE"')
res = dict(machine=machine(), command=cmd, note=a.note, config=dict(demo=dict(DEMO, **({"preset": a.preset} if a.preset else {})), vllm_args=VLLM_ARGS, threads=threads, runs=a.runs), runs={})
for kind in a.runs.split(","):
    m = run(kind); out = work/kind
    r = dict(measure=m)
    if (out/"metrics.json").exists():
        met = json.loads((out/"metrics.json").read_text())
        r.update(stages=stages(out), eval=met.get("eval", []), methods=sorted({e["method"] for e in met.get("eval", [])}))
    elif out.exists(): r["stages"] = stages(out)
    if kind == "vllm":
        log = (out/"run.log").read_text(errors="replace") if (out/"run.log").exists() else ""
        vlog = "".join(f.read_text(errors="replace") for f in out.glob("vllm-*.log"))
        r["adapters_loaded"] = re.findall(r"adapter (\S+) loaded on", log)
        r["stopped"] = re.findall(r"^\S+ \S+ (.*: stopped: .*)$", log, re.M)
        r["server_errors"] = sorted(set(re.findall(r"\] ((?:RuntimeError|ValueError|AssertionError|torch\.\S*Error)[^\n]*)", vlog)))
        r["requests_log"] = dict(completions=len(re.findall(r'"POST /v1/completions HTTP/1.1" 200', vlog)),
                                 chat=len(re.findall(r'"POST /v1/chat/completions HTTP/1.1" 200', vlog)),
                                 load_lora=len(re.findall(r'"POST /v1/load_lora_adapter HTTP/1.1" 200', vlog)),
                                 unload_lora=len(re.findall(r'"POST /v1/unload_lora_adapter HTTP/1.1" 200', vlog)),
                                 models=len(re.findall(r'"GET /v1/models HTTP/1.1" 200', vlog)))
    res["runs"][kind] = r
    (work/"partial.json").write_text(json.dumps(res, indent=1, default=str))

# side by side
L, V = res["runs"].get("local", {}), res["runs"].get("vllm", {})
key = lambda e: (e["method"], e["task"], e["shots"], e.get("round"))
el, ev = {key(e): e for e in L.get("eval", [])}, {key(e): e for e in V.get("eval", [])}
cmp_rows = [dict(method=k[0], task=k[1], shots=k[2], round=k[3], local=(el.get(k) or {}).get("accuracy"), vllm=(ev.get(k) or {}).get("accuracy"),
                 n=(el.get(k) or ev.get(k))["n"]) for k in sorted(set(el) | set(ev), key=str)]
res["eval_side_by_side"] = cmp_rows
agree = bool(cmp_rows) and all(r["local"] is not None and r["vllm"] is not None and abs(r["local"] - r["vllm"]) < 1e-9 for r in cmp_rows)
res["metrics_agree"] = agree
want = {"vanilla", "original_teacher", "arte"}
res["server_run_ok"] = bool(V) and V.get("measure", {}).get("rc") == 0 and want <= set(V.get("methods", [])) and \
    any(n.startswith("round-1-align-") for n in V.get("adapters_loaded", []))

def cell(v, nd=1): return "—" if v is None else (f"{v:.{nd}f}" if isinstance(v, float) else str(v))
lm, vm = L.get("measure", {}), V.get("measure", {})
md = ["# The demo in process and on a vLLM server that arte starts", "",
      f"`arte run` on the demo config (`arte.config.DEMO`: {DEMO['teacher']} as teacher and student, {', '.join(DEMO['tasks'])}, "
      f"preset {a.preset or DEMO['preset']}, {DEMO['rounds']} round) twice in fresh folders: **local** (in process) and **vllm** "
      f"(`teacher_server = student_server = \"vllm\"`, `vllm_args = {VLLM_ARGS}`; arte starts vLLM, hot-loads each adapter, "
      "stops it). One run after the other on the same machine.", "",
      f"Conditions: {res['machine']['cores']}-core CPU shared with other jobs; OMP_NUM_THREADS={threads} for arte and for vLLM; "
      f"load average (1, 5, 15 min) local run: {lm.get('loadavg_start')} → {lm.get('loadavg_end')}; vllm run: "
      f"{vm.get('loadavg_start')} → {vm.get('loadavg_end')}.", "", f"Command: `{cmd}`", "", *([a.note, ""] if a.note else []),
      "| | local | vllm |", "|---|---|---|",
      f"| exit status | {cell(lm.get('rc'))} | {cell(vm.get('rc'))} |",
      f"| wall s | {cell(lm.get('wall_s'))} | {cell(vm.get('wall_s'))} |",
      f"| CPU s, `arte run` | {cell(lm.get('arte_cpu_s'))} | {cell(vm.get('arte_cpu_s'))} |",
      f"| CPU s, server tree | — | {cell(vm.get('server_cpu_s'))} |",
      f"| peak RSS MB, `arte run` | {cell(lm.get('arte_peak_rss_mb'))} | {cell(vm.get('arte_peak_rss_mb'))} |",
      f"| peak RSS MB, server tree (summed) | — | {cell(vm.get('server_peak_rss_mb'))} |",
      f"| methods evaluated | {', '.join(L.get('methods', [])) or '—'} | {', '.join(V.get('methods', [])) or '—'} |", "",
      "Per stage (seconds / CPU seconds of the `arte run` process, from `_stage.json`; for vllm the server's CPU is not in them):", "",
      "| stage | round | local s | local CPU s | vllm s | vllm CPU s |", "|---|---|---|---|---|---|"]
sl = {(s["stage"], s["round"]): s for s in L.get("stages", [])}; sv = {(s["stage"], s["round"]): s for s in V.get("stages", [])}
for k in list(dict.fromkeys(list(sl) + list(sv))):
    x, y = sl.get(k, {}), sv.get(k, {})
    md.append(f"| {k[0]} | {k[1] or '-'} | {cell(x.get('seconds'))} | {cell(x.get('cpu_seconds'))} | {cell(y.get('seconds'))} | {cell(y.get('cpu_seconds'))} |")
md += ["", "Accuracy per method (metrics.json `eval` rows):", "", "| method | task | shots | n | local | vllm |", "|---|---|---|---|---|---|"]
md += [f"| {r['method']}{' r' + str(r['round']) if r['round'] and r['method'] == 'arte' else ''} | {r['task']} | {r['shots']} | {r['n']} | "
       f"{cell(r['local'], 3)} | {cell(r['vllm'], 3)} |" for r in cmp_rows]
md += ["", f"Metrics agree (every row identical): **{'yes' if agree else 'no'}**" +
       (" (a run has no evaluation rows)." if not (el and ev) else ".")]
if V and (V.get("stopped") or V.get("server_errors")):
    md += ["", "The server run stopped: " + "; ".join(f"`{x[:300]}`" for x in V.get("stopped", [])) + ". The server's log: " +
           ("; ".join(f"`{x[:300]}`" for x in V.get("server_errors", [])) or "no exception") + "."]
if V: md += ["", f"Server run completed (exit 0), evaluated {', '.join(sorted(want))} and loaded the round-1 DPO adapter into vLLM: "
             f"**{'yes' if res['server_run_ok'] else 'no'}**."]
if V:
    rq = V.get("requests_log", {})
    md += ["", f"Server run: `/v1/models` listed while live: {', '.join(f'`{i}`' for i in vm.get('models_listed', [])) or '—'}; "
           f"adapters loaded (run.log): {', '.join(f'`{i}`' for i in V.get('adapters_loaded', [])) or '—'}; requests answered "
           f"(access log): {rq.get('completions')} completions, {rq.get('chat')} chat completions, {rq.get('load_lora')} adapter loads, "
           f"{rq.get('unload_lora')} unloads, {rq.get('models')} model listings; `vllm:request_success_total` at the last poll: "
           f"{cell(vm.get('requests_metrics'), 0)}."]
save(a.name, res, md)
