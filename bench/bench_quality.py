"""Quality: the round-1 table (vanilla, original_teacher, arte) on two built-in tasks x 3 seeds, with
the embedded default model (arte:smollm2-135m) as teacher and student, from `arte run` folders.

    # run every task x seed that has no metrics.json yet (the pipeline resumes a half-finished folder), then aggregate:
    OMP_NUM_THREADS=1 python bench/bench_quality.py --run --out runs/quality
    # only aggregate finished folders (what produced bench/results/bench_quality.{md,json}):
    OMP_NUM_THREADS=1 python bench/bench_quality.py --out runs/quality
    # two launchers with the same arguments share the runs (each claims a folder before running it; each `arte run`
    # uses one thread), and --tasks / --seeds pick a subset:
    OMP_NUM_THREADS=1 python bench/bench_quality.py --run --out runs/quality --tasks gen:boolean_expressions --seeds 1 2
    # < 5 min: with finished run folders under --out, --quick only aggregates them (no model runs, a few seconds:
    # exactly the fields of the full table); without any, it runs 2 tasks x 3 seeds of the `tiny` preset on the
    # random-weight `arte:tiny` model in-process in a temporary folder (~40 s on 2 cores; a smoke test of the whole
    # path whose numbers are meaningless: the random model drafts no valid question, so no student is trained and
    # the trained-student fields come out empty). Either way it writes bench/results/bench_quality_quick.{md,json}
    # and leaves the committed results alone:
    OMP_NUM_THREADS=1 python bench/bench_quality.py --quick --out runs/quality

Each run folder is OUT/<task>-s<seed>/ and holds quality.toml: bench/quality_smollm.toml (or --config) with `tasks`
and `seed` replaced. With --run, each `arte run` goes through `/usr/bin/time -v` (written to OUT/<task>-s<seed>/time.txt).

Per task, method and shot count it reports accuracy per seed (with the pipeline's 95% bootstrap CI), the mean over
seeds, a 95% bootstrap CI over the pooled items of all seeds, and the paired bootstrap differences arte - original_teacher
and arte - vanilla (per seed and pooled; items are paired by (seed, test item)), using `arte.evaluate.bootstrap_ci` /
`paired_diff_ci`. It also reports each student's training-set size, the drafting/generation reject counts, and the
fraction of test items on which each trained student's output text (and its parsed answer) differs from vanilla's.
"""
import argparse, json, os, re, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, os.path.dirname(__file__))
from _bench_common import command, machine, save

HERE = Path(__file__).parent
# web_of_lies, not multistep_arithmetic: on 12 test items, vanilla SmolLM2-135M scored 0/12 0-shot and 0/12 3-shot on
# gen:multistep_arithmetic (1/12 3-shot at difficulty 1) and 1/12, 0/12 on gen:object_counting, so every method would
# tie at ~0; gen:web_of_lies (binary Yes/No) scored 0/12 0-shot (no parsable answer: room for SFT to teach the format)
# and 4/12 3-shot, gen:navigate 1/12 and 6/12, and web_of_lies' questions are the shorter (~66 vs ~83 tokens).
TASKS = ["gen:boolean_expressions", "gen:web_of_lies"]
# Per-task overrides of the base config. web_of_lies's tagged question blocks are ~66 tokens (boolean_expressions':
# ~39), so the 96 question tokens that hold two boolean blocks hold one of its blocks: scale by the block length.
TASK_OVERRIDES = {"gen:web_of_lies": {"question_max_tokens": 160}}
SEEDS = [0, 1, 2]
METHODS = ["vanilla", "original_teacher", "arte"]
TRAINED = ["original_teacher", "arte"]
SHOTS = [0, 3]

def task_name(src:str)->str: return src[4:].split(":")[0].split("?")[0] if src.startswith("gen:") else Path(src).stem

def run_dir(out, src, seed)->Path: return Path(out)/f"{task_name(src)}-s{seed}"

def derived_config(base:Path, src:str, seed:int, **over)->str:
    "The base config with `tasks` and `seed` (and `over`) replaced, as TOML."
    import tomllib
    from arte.pipeline import dump_toml
    d = tomllib.loads(base.read_text()); d.update(tasks=[src], seed=seed, **{**TASK_OVERRIDES.get(src, {}), **over})
    return f"# derived by bench/bench_quality.py from {base} (tasks, seed and TASK_OVERRIDES replaced)\n" + dump_toml(d)

def launch(base:Path, out, src, seed, timed=True)->int:
    "`arte run` one task x seed (resuming whatever the folder holds), under /usr/bin/time -v when it exists."
    d = run_dir(out, src, seed); d.mkdir(parents=True, exist_ok=True)
    cfg = d/"quality.toml"; cfg.write_text(derived_config(base, src, seed))
    arte = str(Path(sys.executable).parent/"arte")
    cmd = [arte, "run", str(cfg), "--out", str(d)]
    if timed and Path("/usr/bin/time").exists(): cmd = ["/usr/bin/time", "-v", "-o", str(d/"time.txt")] + cmd
    print(f"[bench_quality] {' '.join(cmd)}", flush=True)
    with open(d/"stdout.log", "a") as f: return subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT)

def _j(p): return json.loads(Path(p).read_text())

def _stage(d:Path, name:str)->dict:
    f = d/"round-1"/name/"_stage.json"
    return _j(f).get("summary", {}) if f.exists() else {}

def time_v(d:Path)->dict:
    "Wall time (s) and peak RSS (MB) from /usr/bin/time -v output in `d/time.txt`, if any."
    f = d/"time.txt"
    if not f.exists(): return {}
    t = f.read_text(); res = {}
    m = re.search(r"Elapsed \(wall clock\) time.*?: (?:(\d+):)?(\d+):([\d.]+)", t)
    if m: res["wall_s"] = round(int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3)), 1)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", t)
    if m: res["peak_rss_mb"] = round(int(m.group(1)) / 1024, 1)
    m = re.search(r"Exit status: (\d+)", t)
    if m: res["exit_status"] = int(m.group(1))
    return res

def load_run(d:Path)->dict:
    "What the table needs from one finished run folder."
    rows = _j(d/"round-1"/"evaluate"/"rows.json")
    met = _j(d/"metrics.json")
    ev = {(r["method"], r["shots"]): r for r in rows}
    students = _stage(d, "distill").get("students", {})
    sets = _stage(d, "baselines").get("sets", {})
    gen = {k: _stage(d, k).get("tasks", {}) for k in ("draft", "generate")}
    cfg = {}
    if (d/"config.toml").exists():
        import tomllib
        cfg = tomllib.loads((d/"config.toml").read_text())
    return dict(dir=str(d), ev=ev, students=students, sets=sets, gen=gen, stages=met.get("stages", []), cfg=cfg,
                time=time_v(d), align=_stage(d, "align"), pairs=_stage(d, "pairs"))

def aggregate(out, tasks, seeds, n_boot=2000)->dict:
    import numpy as np
    from arte.evaluate import bootstrap_ci, paired_diff_ci
    res = {"tasks": {}, "runs": {}, "missing": []}
    for src in tasks:
        tn = task_name(src); runs = {}
        for s in seeds:
            d = run_dir(out, src, s)
            if (d/"metrics.json").exists() and (d/"round-1"/"evaluate"/"rows.json").exists(): runs[s] = load_run(d)
            else: res["missing"].append(str(d))
        if not runs: continue
        T = res["tasks"][tn] = {"seeds": sorted(runs), "acc": {}, "diff": {}, "train": {}, "differs": {}}
        for s, R in runs.items():
            res["runs"][f"{tn}-s{s}"] = {"dir": R["dir"], "time": R["time"], "stages": R["stages"], "sets": R["sets"],
                                         "students": R["students"], "draft": R["gen"]["draft"].get(tn, {}),
                                         "generate": R["gen"]["generate"].get(tn, {}), "align": R["align"],
                                         "pairs": {k: v for k, v in R["pairs"].items() if k != "report"}}
            for m in TRAINED: T["train"].setdefault(m, {})[s] = R["students"].get(m, {}).get("examples", 0)
        from collections import Counter
        tg = Counter(it["target"] for R in runs.values() for (m, k), r in R["ev"].items() if (m, k) == ("vanilla", SHOTS[0]) for it in r["items"])
        T["targets"] = dict(tg); T["majority_rate"] = max(tg.values()) / sum(tg.values()) if tg else None
        for k in SHOTS:
            for m in METHODS:
                per, pooled, preds = {}, [], []
                for s, R in runs.items():
                    r = R["ev"].get((m, k))
                    if r is None: continue
                    c = [it["correct"] for it in r["items"]]
                    per[s] = {"acc": float(np.mean(c)), "ci": r["ci"], "n": len(c), "parse_rate": r.get("parse_rate")}
                    pooled += c; preds += [it["pred"] for it in r["items"]]
                if not per: continue
                from collections import Counter
                top = Counter(p for p in preds if p is not None).most_common(1)
                T["acc"][f"{m}|{k}"] = {"per_seed": per, "mean": float(np.mean([v["acc"] for v in per.values()])),
                                        "pooled": float(np.mean(pooled)), "pooled_ci": list(bootstrap_ci(pooled, n_boot=n_boot, seed=0)),
                                        "n_pooled": len(pooled), "parse_rate": float(np.mean([p is not None for p in preds])),
                                        "answers": dict(Counter("none" if p is None else str(p) for p in preds)),
                                        "top_answer": [top[0][0], top[0][1] / len(preds)] if top else None}
            for a, b in (("arte", "original_teacher"), ("arte", "vanilla"), ("original_teacher", "vanilla")):
                per, xa, xb = {}, [], []
                for s, R in runs.items():
                    ra, rb = R["ev"].get((a, k)), R["ev"].get((b, k))
                    if ra is None or rb is None: continue
                    ia = {it["id"]: it["correct"] for it in ra["items"]}; ib = {it["id"]: it["correct"] for it in rb["items"]}
                    ids = sorted(set(ia) & set(ib))
                    pa, pb = [ia[i] for i in ids], [ib[i] for i in ids]
                    per[s] = paired_diff_ci(pa, pb, n_boot=n_boot, seed=s); xa += pa; xb += pb
                if per: T["diff"][f"{a}-{b}|{k}"] = {"per_seed": per, "pooled": paired_diff_ci(xa, xb, n_boot=n_boot, seed=0)}
            for m in TRAINED:
                per, tot = {}, [0, 0, 0]
                for s, R in runs.items():
                    ra, rv = R["ev"].get((m, k)), R["ev"].get(("vanilla", k))
                    if ra is None or rv is None: continue
                    va = {it["id"]: it for it in rv["items"]}
                    txt = sum(it["output"] != va[it["id"]]["output"] for it in ra["items"])
                    prd = sum(it["pred"] != va[it["id"]]["pred"] for it in ra["items"])
                    per[s] = {"text": txt / len(ra["items"]), "pred": prd / len(ra["items"]), "n": len(ra["items"])}
                    tot[0] += txt; tot[1] += prd; tot[2] += len(ra["items"])
                if per: T["differs"][f"{m}|{k}"] = {"per_seed": per, "text": tot[0] / tot[2], "pred": tot[1] / tot[2], "n": tot[2]}
    return res

def f3(x): return "-" if x is None else f"{x:.3f}"
def ci(c): return f"[{c[0]:.2f}, {c[1]:.2f}]"

def summary(res:dict)->list[str]:
    "The round-1 table: per method, task and shot count, the pooled accuracy with its 95% CI and the per-seed accuracies."
    ts = list(res["tasks"])
    md = ["| method | " + " | ".join(f"{t} {k}-shot" for t in ts for k in SHOTS) + " |", "|---|" + "---|" * (len(ts) * len(SHOTS))]
    def cells(get, fmt, missing): return [missing if (X := get(t, k)) is None else fmt(X) for t in ts for k in SHOTS]
    def per(X, key, f): return " / ".join(f.format(X["per_seed"][s][key]) for s in sorted(X["per_seed"]))
    for m in METHODS:
        md.append(f"| {m} | " + " | ".join(cells(lambda t, k: res["tasks"][t]["acc"].get(f"{m}|{k}"), lambda A:
                  f"{A['pooled']:.3f} {ci(A['pooled_ci'])} ({per(A, 'acc', '{:.2f}')})", "not trained")) + " |")
    for a, b in (("arte", "original_teacher"), ("arte", "vanilla")):
        md.append(f"| {a} − {b} (paired) | " + " | ".join(cells(lambda t, k: res["tasks"][t]["diff"].get(f"{a}-{b}|{k}"), lambda D:
                  f"{D['pooled']['diff']:+.3f} {ci(D['pooled']['ci'])} ({per(D, 'diff', '{:+.2f}')})", "-")) + " |")
    return md

def markdown(res:dict, seeds)->list[str]:
    md = ["## The round-1 table", "", "Accuracy over the pooled test items of all seeds [95% bootstrap CI] (per-seed accuracies seed 0 / 1 / 2); "
          "the last two rows are paired differences over the same items.", ""] + summary(res) + ["", "## Per task", ""]
    for tn, T in res["tasks"].items():
        ss = T["seeds"]
        tgt = ", ".join(f"{a} {n}" for a, n in sorted(T["targets"].items(), key=lambda kv: -kv[1])[:6])
        md += [f"### {tn} ({len(ss)} seeds: {', '.join(map(str, ss))})", "",
               f"Pooled test targets: {tgt}" + (f" (always answering the most common one scores {T['majority_rate']:.3f})." if T.get("majority_rate") else "."), "",
               "| method | shots | " + " | ".join(f"seed {s} acc [95% CI]" for s in ss) + " | mean over seeds | pooled acc [95% CI] (n) | parsed | answers (pooled) |",
               "|---|---|" + "---|" * len(ss) + "---|---|---|---|"]
        for k in SHOTS:
            for m in METHODS:
                A = T["acc"].get(f"{m}|{k}")
                if A is None: md.append(f"| {m} | {k} | " + " | ".join("not trained" for _ in ss) + " | - | - | - | - |"); continue
                cells = [f"{A['per_seed'][s]['acc']:.3f} {ci(A['per_seed'][s]['ci'])}" if s in A["per_seed"] else "-" for s in ss]
                ans = ", ".join(f"{a} {n}" for a, n in sorted(A["answers"].items(), key=lambda kv: -kv[1]))
                md.append(f"| {m} | {k} | " + " | ".join(cells) + f" | {A['mean']:.3f} | {A['pooled']:.3f} {ci(A['pooled_ci'])} ({A['n_pooled']}) | {A['parse_rate']:.2f} | {ans} |")
        md += ["", "| paired difference | shots | " + " | ".join(f"seed {s} [95% CI]" for s in ss) + " | pooled [95% CI] (n) | P(>0) |",
               "|---|---|" + "---|" * len(ss) + "---|---|"]
        for k in SHOTS:
            for pair in ("arte-original_teacher", "arte-vanilla", "original_teacher-vanilla"):
                D = T["diff"].get(f"{pair}|{k}")
                if D is None: continue
                cells = [f"{D['per_seed'][s]['diff']:+.3f} {ci(D['per_seed'][s]['ci'])}" if s in D["per_seed"] else "-" for s in ss]
                P = D["pooled"]
                md.append(f"| {pair.replace('-', ' − ')} | {k} | " + " | ".join(cells) + f" | {P['diff']:+.3f} {ci(P['ci'])} ({P['n']}) | {P['p_better']:.2f} |")
        md += ["", "| student | seed | training examples | SFT train loss | output differs from vanilla, 0-shot (text / answer) | 3-shot (text / answer) |",
               "|---|---|---|---|---|---|"]
        fr = lambda x: "-" if x is None else f"{x['text']:.2f} / {x['pred']:.2f}"
        for m in TRAINED:
            for s in ss:
                st = res["runs"][f"{tn}-s{s}"]["students"].get(m, {})
                dd = [T["differs"].get(f"{m}|{k}", {}).get("per_seed", {}).get(s) for k in SHOTS]
                md.append(f"| {m} | {s} | {T['train'].get(m, {}).get(s, 0)} | {st.get('train_loss', '-')} | " + " | ".join(map(fr, dd)) + " |")
            md.append(f"| {m} | pooled | {sum(T['train'].get(m, {}).values())} | | " + " | ".join(fr(T["differs"].get(f"{m}|{k}")) for k in SHOTS) + " |")
        md.append("")
    md += ["### Runs", "", "Wall time and peak RSS are /usr/bin/time -v's for the last `arte run` process of the folder; a folder that was "
           "resumed (some stages skipped) also shows the sum of its stages' own times, which covers every process.", "",
           "| run | wall s (time -v) | peak RSS MB (time -v) | drafted questions (calls; rejects) | tailored questions (calls; rejects) | DPO pairs | training sets (arte, original_teacher) | SFT train loss (arte, original_teacher) |",
           "|---|---|---|---|---|---|---|---|"]
    for name, R in res["runs"].items():
        t = R["time"]; dr, ge = R["draft"], R["generate"]
        rej = lambda g: ", ".join(f"{k} {v}" for k, v in sorted(g.get("rejects", {}).items(), key=lambda kv: -kv[1])) or "none"
        st = R["students"]
        tot = round(sum(s.get("seconds") or 0 for s in R["stages"]), 1); resumed = any(s.get("skipped") for s in R["stages"])
        wall = f"{t['wall_s']}" + (f" (resumed; stages sum to {tot})" if resumed else "") if t.get("wall_s") else f"{tot} (sum of stages)"
        md.append(f"| {name} | {wall} | {t.get('peak_rss_mb', '-')} | {dr.get('questions')} ({dr.get('calls')}; {rej(dr)}) | "
                  f"{ge.get('questions')} ({ge.get('calls')}; {rej(ge)}) | {R['pairs'].get('pairs', '-')} | {R['sets'].get('arte', 0)}, {R['sets'].get('original_teacher', 0)} | "
                  f"{st.get('arte', {}).get('train_loss', '-')}, {st.get('original_teacher', {}).get('train_loss', '-')} |")
    names = list(res["runs"])
    if names:
        stages = list(dict.fromkeys(st["name"] for R in res["runs"].values() for st in R["stages"]))
        md += ["", "### Stage times (s) and peak RSS (MB) per run", "", "| stage | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for sn in stages:
            cells = []
            for n in names:
                st = next((x for x in res["runs"][n]["stages"] if x["name"] == sn), None)
                cells.append("-" if st is None else f"{st['seconds']} s, {st['peak_rss_mb']} MB" + (" (skipped)" if st.get("skipped") else ""))
            md.append(f"| {sn} | " + " | ".join(cells) + " |")
    if res["missing"]: md += ["", "Missing (not finished): " + ", ".join(res["missing"])]
    return md

def quick(n_tasks=TASKS, seeds=SEEDS):
    "The same fields from tiny in-process runs of the random-weight arte:tiny model (a smoke test; meaningless numbers)."
    from arte.pipeline import check_config, run_arte
    tmp = tempfile.mkdtemp(prefix="bench-quality-quick-")
    for src in n_tasks:
        for s in seeds:
            d = run_dir(tmp, src, s)
            cfg = check_config(dict(teacher="arte:tiny", student="arte:tiny", tasks=[src], seed=s, rounds=1, preset="tiny",
                                    baselines=["vanilla", "original_teacher"]), src="bench_quality --quick")
            t0 = time.time(); run_arte(cfg, d, quiet=True)
            (d/"time.txt").write_text(f"Elapsed (wall clock) time (h:mm:ss or m:ss): 0:{time.time() - t0:.2f}\n")
    return tmp

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="runs/quality", help="folder of the run folders <task>-s<seed>")
    p.add_argument("--config", default=str(HERE/"quality_smollm.toml"), help="base config (tasks and seed are replaced)")
    p.add_argument("--tasks", nargs="+", default=TASKS); p.add_argument("--seeds", nargs="+", type=int, default=SEEDS)
    p.add_argument("--run", action="store_true", help="launch `arte run` for each task x seed without metrics.json")
    p.add_argument("--no-save", action="store_true", help="print the table only")
    p.add_argument("--quick", action="store_true", help="< 5 min: aggregate the finished folders only, or (none) tiny arte:tiny smoke runs")
    a = p.parse_args()
    t0 = time.time()
    finished = [run_dir(a.out, t, s) for t in a.tasks for s in a.seeds if (run_dir(a.out, t, s)/"metrics.json").exists()]
    smoke = a.quick and not finished   # --quick with nothing to aggregate: the arte:tiny smoke runs
    if smoke: a.out = quick(a.tasks, a.seeds)
    elif a.run and not a.quick:
        # seed-major order; a run folder is claimed with an atomic mkdir of <folder>/.running, so two launchers with
        # the same arguments (e.g. in two terminals, one `arte run` each) share the work without running a folder twice
        for s in a.seeds:
            for src in a.tasks:
                d = run_dir(a.out, src, s)
                if (d/"metrics.json").exists(): print(f"[bench_quality] {d}: finished, skipped"); continue
                d.mkdir(parents=True, exist_ok=True)
                try: (d/".running").mkdir()
                except FileExistsError: print(f"[bench_quality] {d}: claimed by another launcher (remove {d/'.running'} if none runs), skipped"); continue
                try: rc = launch(Path(a.config), a.out, src, s)
                finally: (d/".running").rmdir()
                if rc: print(f"[bench_quality] {d}: arte run exited {rc}", file=sys.stderr)
    res = aggregate(a.out, a.tasks, a.seeds)
    base = Path(a.config).read_text() if not smoke else "(quick smoke runs: arte:tiny, preset tiny)"
    res.update(command=command(), machine=machine(), out=str(a.out), config=base, tasks_sources=a.tasks, seeds=a.seeds,
               seconds=round(time.time() - t0, 1), quick=a.quick, smoke=smoke)
    md = ["# Quality: the round-1 table, " + ("QUICK smoke test (arte:tiny, preset tiny; numbers meaningless)" if smoke else "arte:smollm2-135m as teacher and student"), "",
          f"Command: `{command()}`", "", f"Run folders: {a.out}/<task>-s<seed>; {'' if smoke else 'each ran `arte run <folder>/quality.toml --out <folder>` (bench_quality.py --run) under /usr/bin/time -v; '}"
          f"machine: {res['machine']['cores']} cores, torch {res['machine']['torch']}.", ""] + markdown(res, a.seeds)
    md += ["", "## Config", "", f"`{a.config}`" + (f", with per-task overrides {TASK_OVERRIDES}" if not smoke else "") + ":", "", "```toml", base.strip(), "```"]
    if a.no_save: print("\n".join(md))
    else: save("bench_quality_quick" if a.quick else "bench_quality", res, md)
