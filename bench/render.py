"""Render the result sections of the benchmarks page from bench/results/*.json.

The page (nbs/benchmarks.ipynb) calls `section(name)` in a code cell per benchmark; its committed output is the
markdown written here, so the numbers on the page are always the numbers in the result files. From the shell:

    python bench/render.py                      # print every section
    python bench/render.py --only bench_scoring # one section

A result file that is not there renders as a one-line note naming the command that writes it.
"""
import argparse, json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent/"results"

# The scoring modes in the order the page shows them; a mode the file does not have is left out, an unknown one goes last.
MODES = ["naive", "batched", "generate_unpacked", "generate", "likelihood"]
MODE_NOTES = {"naive": "one `lm.generate` call per (draft, question), batch 1, the whole prompt encoded each time",
              "batched": "plain batched `lm.generate`, no prefix reuse: the fair baseline",
              "generate_unpacked": "the engine's generate mode on the stock linear layers",
              "generate": "the engine: batched rows, each shared prefix encoded once",
              "likelihood": "argmax of candidate-answer log-probabilities after the answer cue (no rationale)"}
COMMANDS = {"bench_scoring": "python bench/bench_scoring.py --quick",
            "bench_scoring_scale": "python bench/bench_scoring.py --tasks gen:boolean_expressions --drafts 12 --questions 40 "
                                   "--max-new-tokens 48 --naive-sample 48 --name bench_scoring_scale",
            "bench_decode": "python bench/bench_decode.py", "bench_reliability": "python bench/bench_reliability.py",
            "bench_generation": "python bench/bench_generation.py", "bench_pipeline": "python bench/bench_pipeline.py --run arte-demo",
            "bench_demo": "python bench/bench_demo.py --before OLD_DEMO --after NEW_DEMO",
            "bench_quality": "python bench/bench_quality.py --run", "bench_gpu": "python bench/bench_gpu.py",
            "bench_engines": "ARTE_VLLM_PYTHON=VLLM_VENV/bin/python python bench/bench_engines.py",
            "bench_demo_servers": "ARTE_VLLM_PYTHON=VLLM_VENV/bin/python python bench/bench_demo_servers.py --work DIR"}

def load(name:str)->dict|None:
    "The result file `bench/results/<name>.json`, or None when the benchmark has not been run."
    f = RESULTS/f"{name}.json"
    return json.loads(f.read_text()) if f.exists() else None

def table(cols:list, rows:list)->str:
    "A markdown table; `None` cells print as an em dash."
    cell = lambda v: "—" if v is None else str(v)
    return "\n".join(["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)] + ["| " + " | ".join(map(cell, r)) + " |" for r in rows])

def _f(v, nd=3): return None if v is None else f"{v:.{nd}f}"
def _x(v): return None if v is None else f"{v:.2f}x"
def _missing(name): return f"_Not run yet: `OMP_NUM_THREADS=1 {COMMANDS.get(name, 'python bench/' + name + '.py')}` writes it._"
def _command(d): return f"Command: `{d['command']}`" if d.get("command") else ""

def modes_of(d:dict)->list:
    "The scoring modes of a `bench_scoring*.json`, in page order (top-level dicts with an `evals_per_s` field)."
    found = [k for k, v in d.items() if isinstance(v, dict) and "evals_per_s" in v]
    return sorted(found, key=lambda m: (MODES.index(m) if m in MODES else len(MODES), m))

def scoring(name:str="bench_scoring")->str:
    "Scoring benchmark: one row per mode, with speed-ups against naive and (when measured) plain batched generation."
    d = load(name)
    if d is None: return _missing(name)
    c, modes = d["config"], modes_of(d)
    wall = {m: sum(t[m]["wall_s"] for t in d["tasks"].values() if m in t) for m in modes}
    evals = {m: sum(t[m]["evals"] for t in d["tasks"].values() if m in t) for m in modes}
    sampled = c.get("naive_sample") or 0
    head = (f"Student `{c.get('student', 'arte:smollm2-135m')}` ({c.get('params', 0) / 1e6:.0f}M parameters, fp32, CPU, "
            f"{c['threads']} thread); {c['drafts']} drafts x {c['questions']} preference questions per task "
            f"({', '.join(d['tasks'])}); up to {c['max_new_tokens']} new tokens per answer.")
    if sampled: head += f" The naive loop ran on {sampled} random (draft, question) pairs per task; its rate is measured on them."
    cols = ["mode", "wall s", "evals/s", "speed-up vs naive"] + (["speed-up vs batched"] if "batched" in modes else []) + \
           ["identical answers vs naive", "Spearman ŝ_r vs naive", "top/bottom agree", "fraction of matmul peak"]
    rows = []
    for m in modes:
        r = d[m]
        vs_b = [_x(r["evals_per_s"] / d["batched"]["evals_per_s"])] if "batched" in modes else []
        rows.append([f"`{m}`", _f(wall[m], 1) if evals[m] else None, _f(r["evals_per_s"]), _x(r.get("speedup_vs_naive"))] + vs_b +
                    [_f(r.get("answer_agreement_vs_naive")), _f(r.get("spearman_vs_naive")), _f(r.get("top_bottom_agreement"), 2),
                     _f(r.get("fraction_of_matmul_peak"), 2)])
    notes = "\n".join(f"- `{m}`: {MODE_NOTES[m]}" for m in modes if m in MODE_NOTES)
    peak = d.get("matmul_peak_flops")
    foot = (f"Evals: one-shot student evaluations of a (draft, question) pair. Fraction of matmul peak: 2 x parameters x "
            f"tokens processed per second, against {peak / 1e9:.0f} GFLOP/s measured for an fp32 1024x1024 matmul with the same "
            "threads." if peak else "")
    return "\n\n".join(x for x in [head, table(cols, rows), notes, foot, _command(d)] if x)

def decode()->str:
    "Prefill and decode cost per token by batch size."
    d = load("bench_decode")
    if d is None: return _missing("bench_decode")
    base = d["rows"][0]["decode_ms_per_row_token"]
    rows = [[r["batch"], r["prefill_ms_per_token"], r["decode_step_ms"], r["decode_ms_per_row_token"],
             _x(base / r["decode_ms_per_row_token"]), _f(r["decode_frac_of_peak"])] for r in d["rows"]]
    head = (f"{d['prompt']}-token prompts; one decode step against their KV cache; "
            f"{d['params'] / 1e6:.0f}M-parameter student, fp32, 1 thread.")
    return "\n\n".join([head, table(["batch", "prefill ms/token", "decode step ms", "decode ms per row-token",
                                     "decode speed-up vs batch 1", "decode fraction of matmul peak"], rows), _command(d)])

def reliability()->str:
    "Split-half reliability and the smallest resolvable gap of ŝ_r against the preference-set size k."
    d = load("bench_reliability")
    if d is None: return _missing("bench_reliability")
    c = d["config"]
    head = (f"{d['n_drafts']} drafts x {d['n_questions']} questions of `{c['task']}`; mean accuracy {d['mean_accuracy']:.2f}; "
            f"k questions drawn at random {c['reps']} times per k.")
    rows = [[r["k"], f"{r['split_half']:.2f} ± {r['split_half_sd']:.2f}", _f(r["min_gap_binomial"], 2), _f(r["min_gap_measured"], 2)]
            for r in d["by_k"]]
    need = "; ".join(f"a gap of {g}: {v['binomial']} (binomial) / {v['measured']} (measured)" for g, v in d["questions_needed"].items())
    cols = ["k", "split-half reliability (mean ± sd)", "min resolvable gap, binomial", "min resolvable gap, measured"]
    return "\n\n".join([head, table(cols, rows), f"Questions needed (alpha 0.05, power 0.5): {need}.", _command(d)])

def generation()->str:
    "Teacher generation throughput by batch size."
    d = load("bench_generation")
    if d is None: return _missing("bench_generation")
    c = d["config"]
    head = (f"`{d['student']}` as teacher, {c['prompts']} step-by-step prompts of `{c['task']}`, "
            f"up to {c['max_new_tokens']} new tokens, sampling.")
    rows = [[r["batch"], r["wall_s"], r["new_tokens"], r["tokens_per_s"], _x(r["speedup_vs_batch1"]), r["peak_rss_mb"]] for r in d["runs"]]
    cols = ["batch", "wall s", "new tokens", "tokens/s", "speed-up vs batch 1", "peak RSS MB"]
    return "\n\n".join([head, table(cols, rows), _command(d)])

def pipeline()->str:
    "Wall time and peak memory per stage of the demo run."
    d = load("bench_pipeline")
    if d is None: return _missing("bench_pipeline")
    tot = d["total_seconds"] or 1
    rows = [[s["name"], s.get("round") or "-", s["seconds"], "-" if s.get("skipped") else f"{(s['seconds'] or 0) / tot:.0%}",
             s["peak_rss_mb"]] for s in d["stages"]]
    rows.append(["**total**", "", d["total_seconds"], "", d["peak_rss_mb"]])
    return "\n\n".join([table(["stage", "round", "seconds", "share", "peak RSS MB"], rows),
                        "Command: `python bench/bench_pipeline.py --run arte-demo` on the folder of `arte demo --out arte-demo`."])

def demo()->str:
    "The demo before and after: seconds per stage side by side, peak memory, and what each run showed."
    d = load("bench_demo")
    if d is None: return _missing("bench_demo")
    rows = [[r["stage"], r["round"] or "-", r["before_s"], r["after_s"], r["speedup"], r["after_cpu_s"], r["before_rss"], r["after_rss"]]
            for r in d["rows"]]
    t = d["total"]
    rows.append(["**stages total**", "", t["before_s"], t["after_s"], _x(t["before_s"] / t["after_s"]) if t["after_s"] else None,
                 t["after_cpu_s"], t["before_peak_stage_rss"], t["after_peak_stage_rss"]])
    out = [d.get("note") or "", table(["stage", "round", "before s", "after s", "speed-up", "after CPU s", "before peak RSS MB",
                                       "after peak RSS MB"], rows),
           f"Whole command: before {t['before_wall']} s, peak RSS {t['before_rss'] or 'not recorded'} MB; after {t['after_wall']} s, "
           f"peak RSS {t['after_rss'] or 'not recorded'} MB (`/usr/bin/time -v`)."]
    for side in ("before", "after"):
        s = d[f"{side}_shown"]
        g = "; ".join(f"{r['task']} round {r['round']}: {r['gain']} {r['ci']} ({r['n_aligned']} vs {r['n_original']} drafts)"
                      for r in s.get("alignment_gain") or []) or "not measured"
        out.append(f"**{side}**: pairs {s['pairs']}, DPO steps {s['dpo_steps']}, reward margins {s['dpo_margins']}; alignment gain: {g}")
    return "\n\n".join([*out, _command(d)])

def quality()->str:
    "The round-1 accuracy table, pooled over seeds, with paired differences."
    d = load("bench_quality")
    if d is None: return _missing("bench_quality")
    tasks = list(d["tasks"]); shots = sorted({k.split("|")[1] for t in d["tasks"].values() for k in t["acc"]})
    methods = list(dict.fromkeys(k.split("|")[0] for t in d["tasks"].values() for k in t["acc"]))
    ci = lambda c: f"[{c[0]:.2f}, {c[1]:.2f}]"
    rows = []
    for m in methods:
        rows.append([m] + [(lambda a: f"{a['pooled']:.3f} {ci(a['pooled_ci'])}" if a else None)(d["tasks"][t]["acc"].get(f"{m}|{s}"))
                           for t in tasks for s in shots])
    for diff in ("arte-original_teacher", "arte-vanilla"):
        cells = []
        for t in tasks:
            for s in shots:
                p = (d["tasks"][t]["diff"].get(f"{diff}|{s}") or {}).get("pooled")
                cells.append(f"{p['diff']:+.3f} {ci(p['ci'])}" if p else None)
        rows.append([diff.replace("-", " − ") + " (paired)"] + cells)
    n = {t: next(iter(d["tasks"][t]["acc"].values()))["n_pooled"] for t in tasks}
    head = (f"`arte:smollm2-135m` as teacher and student, {len(d['seeds'])} seeds; accuracy over the pooled test items "
            f"({', '.join(f'{t}: {v}' for t, v in n.items())}) with 95% bootstrap intervals. Always answering the most common "
            "target scores " + ", ".join(f"{d['tasks'][t]['majority_rate']:.2f} ({t})" for t in tasks) + ".")
    cols = ["method"] + [f"{t} {s}-shot" for t in tasks for s in shots]
    return "\n\n".join([head, table(cols, rows), "Per-seed tables, training-set sizes and stage times: `bench/results/bench_quality.md`."])

def gpu()->str:
    "Unsloth against plain TRL on a CUDA GPU."
    d = load("bench_gpu")
    if d is None: return _missing("bench_gpu")
    rows = [[r.get("backend"), r.get("trainer"), _f(r.get("step_s")), _f(r.get("peak_vram_mb"), 0)] for r in d.get("runs", [])]
    return "\n\n".join([table(["backend", "trainer", "s per step", "peak VRAM MB"], rows), _command(d)])

def engines()->str:
    "The scoring workload on the in-process engine and on a vLLM server, side by side."
    d = load("bench_engines")
    if d is None: return _missing("bench_engines")
    c, A, B = d["config"], d["in_process"], d["vllm"]
    N = c["evals"]
    head = (f"{c['drafts']} drafts x {c['questions']} preference questions of `{c['task']}` = {N} one-shot student prompts, greedy, "
            f"up to {c['max_new_tokens']} new tokens (the paper preset), `{c['student']}` in fp32, {c['threads']} thread for arte and "
            f"for vLLM ({d.get('vllm_version', 'vLLM')}, `{' '.join(c['vllm_args'])}`); load average {d['machine']['loadavg_start']} at "
            f"start, {d.get('loadavg_end')} at end. The vLLM start-up ({B['startup_s']} s) is not in the timed part.")
    rows = [["in process (`HFLM` + `arte.engine`)", A["wall_s"], A["evals_per_s"], A["cpu_s_this_process"], A["new_tokens"],
             f"{A['correct']}/{N}", "1.00x"],
            [f"vLLM server (`ServerLM`, {B['max_concurrency']} requests in flight)", B["wall_s"], B["evals_per_s"],
             round(B["cpu_s_this_process"] + B["cpu_s_server_tree"], 1), int(B["new_tokens"] or 0), f"{B['correct']}/{N}",
             _x(B["wall_s"] / A["wall_s"])]]
    cols = ["engine", "wall s", "evals/s", "CPU s (client + server)", "new tokens", "correct", "wall time vs in process"]
    foot = f"Identical parsed answers: {d['identical_answers']}/{N}; identical raw outputs: {d['identical_outputs']}/{N}."
    return "\n\n".join([head, table(cols, rows), foot, _command(d)])

def demo_servers()->str:
    "The demo run in process and on a vLLM server that arte starts."
    d = load("bench_demo_servers")
    if d is None: return _missing("bench_demo_servers")
    L, V = (d["runs"].get(k, {}) for k in ("local", "vllm"))
    lm, vm = L.get("measure", {}), V.get("measure", {})
    rows = [["wall s", lm.get("wall_s"), vm.get("wall_s")],
            ["CPU s: `arte run` / server tree", lm.get("arte_cpu_s"), f"{vm.get('arte_cpu_s')} / {vm.get('server_cpu_s')}" if vm else None],
            ["peak RSS MB: `arte run` / server tree", lm.get("arte_peak_rss_mb"),
             f"{vm.get('arte_peak_rss_mb')} / {vm.get('server_peak_rss_mb')}" if vm else None],
            ["methods evaluated", ", ".join(L.get("methods", [])) or None, ", ".join(V.get("methods", [])) or None]]
    st = {}
    for side, r in (("local", L), ("vllm", V)):
        for s in r.get("stages", []): st.setdefault((s["stage"], s["round"]), {})[side] = s["seconds"]
    srows = [[k[0], k[1] or "-", v.get("local"), v.get("vllm")] for k, v in st.items()]
    erows = [[e["method"], e["task"], e["shots"], e["n"], _f(e["local"]), _f(e["vllm"])] for e in d.get("eval_side_by_side", [])]
    rq = V.get("requests_log") or {}
    both = all(r.get("eval") for r in (L, V))
    foot = (f"Metrics agree on every row: {'yes' if d.get('metrics_agree') else 'no'}{'' if both else ' (a run has no evaluation rows)'}. Server run: adapters loaded "
            f"{', '.join(f'`{a}`' for a in V.get('adapters_loaded', [])) or '—'}; {rq.get('completions')} completion and "
            f"{rq.get('chat')} chat requests answered." if V else "")
    return "\n\n".join(x for x in [d.get("note") or "", table(["", "local", "vllm"], rows), table(["stage", "round", "local s", "vllm s"], srows),
                                    table(["method", "task", "shots", "n", "local accuracy", "vllm accuracy"], erows), foot,
                                    _command(d)] if x)

def written(name:str)->str:
    "A section its script writes as markdown itself (`results/NAME.md`), less its title line."
    f = RESULTS/f"{name}.md"
    if not f.exists(): return _missing(name)
    return "\n".join(l for l in f.read_text().splitlines() if not l.startswith("# ")).strip()

SECTIONS = {"bench_scoring": lambda: scoring("bench_scoring"), "bench_scoring_scale": lambda: scoring("bench_scoring_scale"),
            "bench_decode": decode, "bench_reliability": reliability, "bench_generation": generation,
            "bench_pipeline": pipeline, "bench_demo": demo, "bench_quality": quality, "bench_gpu": gpu,
            "bench_engines": engines, "bench_demo_servers": demo_servers,
            "bench_convert": lambda: written("bench_convert"), "bench_logprob_once": lambda: written("bench_logprob_once")}

def section(name:str)->str:
    "The markdown of one result section (a key of `SECTIONS`)."
    if name not in SECTIONS: raise KeyError(f"unknown section {name!r}; known: {', '.join(SECTIONS)}")
    return SECTIONS[name]()

def show(name:str):
    "Display a section as markdown in a notebook."
    from IPython.display import Markdown, display
    display(Markdown(section(name)))

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", choices=list(SECTIONS), help="one section only")
    a = p.parse_args()
    for k in ([a.only] if a.only else SECTIONS): print(f"## {k}\n\n{section(k)}\n")
