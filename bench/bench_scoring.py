"""Issue 7 benchmark: one-shot ICL scoring of drafts x preference questions on the embedded student, three ways side by side.

    OMP_NUM_THREADS=1 python bench/bench_scoring.py --quick          # bool, 6 drafts x 8 questions, 48 new tokens; ~4 min on 2 idle cores
    OMP_NUM_THREADS=1 python bench/bench_scoring.py                  # 24 drafts x 20 questions, both tasks
    OMP_NUM_THREADS=1 python bench/bench_scoring.py --tasks gen:boolean_expressions --drafts 12 --questions 40 --max-new-tokens 48 --naive-sample 48 --name bench_scoring_scale
                                                                     # the paper's preference-set size (40), naive loop on 48 random pairs

(a) naive: `score_drafts(mode="naive")`, one `lm.generate` call per (draft, question), batch 1, whole prompt re-encoded,
    on the stock transformers layers (ARTE_PACKED_LINEARS=0: arte's HFLM would otherwise pack them too, ~1.3x);
(b) generate: `mode="generate"`, batched rows, each draft's shared prefix encoded once (KV cache reuse; the task header
    once for all drafts) and attended to once per draft (shared-prefix attention; CPU flash kernel for multi-token
    parts, rows' own cache column-major), cache written in place, prompt-lookup drafts checked once few rows are left
    (greedy verification), linear layers on oneDNN-packed weights (CPU float32; the pack time is inside this row's time);
(b') generate_unpacked: the same with ARTE_PACKED_LINEARS=0 (stock linear layers), to show what packing adds;
(c) likelihood: `mode="likelihood"`, argmax of candidate-answer log-probs after the answer cue (no rationale).
Drafts are hand-written rationales of six kinds (careful, terse, wrong steps, wrong terse, two other formats) for
pool questions of the task (bench/_bench_common.py); the preference set is the next pool questions.
Model FLOP/s = 2 x params x tokens processed / s (attention score FLOPs ignored), against the faster of two measured
fp32 1024x1024 matmul loops with the same thread count (torch.matmul, and a oneDNN-packed linear). Writes bench/results/bench_scoring.{json,md}.
"""
import argparse, os, random, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np, torch
from datasets import Dataset
from _bench_common import build_drafts, matmul_peaks, machine, command, save
from arte.models import load_model
from arte.tasks import load_task
from arte.score import score_drafts, mode_agreement, icl_answers, demo_of, _as_rows

p = argparse.ArgumentParser()
p.add_argument("--quick", action="store_true", help="bool only, 6 drafts x 8 questions, max_new_tokens 48")
p.add_argument("--tasks", default="gen:boolean_expressions,gen:multistep_arithmetic")
p.add_argument("--drafts", type=int, default=24)
p.add_argument("--questions", type=int, default=20)
p.add_argument("--max-new-tokens", type=int, default=96)
p.add_argument("--batch-size", type=int, default=None, help="rows decoding together (generate/likelihood); default: the scorer's (256 on a CPU)")
p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 1)))
p.add_argument("--profile", action="store_true", help="also print a short torch profile of the generate mode")
p.add_argument("--warmup", type=int, default=4, help="before timing each mode, run it untimed on the first draft x this many questions (0: no warm-up)")
p.add_argument("--name", default="bench_scoring", help="results file name under bench/results/")
p.add_argument("--naive-sample", type=int, default=0, help="run the naive loop on this many random (draft, question) pairs "
               "only (0: all): its rate and the answer agreement come from the sample; Spearman and top/bottom are then not measured")
a = p.parse_args()
if a.quick: a.tasks, a.drafts, a.questions, a.max_new_tokens = "gen:boolean_expressions", 6, 8, 48
torch.set_num_threads(a.threads)

info = machine()
peaks = matmul_peaks(a.threads); peak = peaks["peak"]
lm = load_model("arte:smollm2-135m", batch_size=a.batch_size)
n_params = sum(p_.numel() for p_ in lm.model.parameters())
res = dict(config=dict(vars(a), student=lm.name, params=n_params), machine=info, command=command(),
           matmul_peak_flops=peak, matmul_peaks=peaks, tasks={})
f2 = lambda x: "—" if x is None else f"{x:.2f}"
MODES = ("naive", "generate_unpacked", "generate", "likelihood")  # generate_unpacked: generate with ARTE_PACKED_LINEARS=0
SCORE_MODE = dict(generate_unpacked="generate")

def tokens(mode, st, lm_before):
    if mode == "naive": return (lm.stats["prompt_tokens"] - lm_before["prompt_tokens"]) + (lm.stats["new_tokens"] - lm_before["new_tokens"])
    return st.get("prefix_tokens", 0) + st.get("suffix_tokens", 0) + st.get("new_tokens", 0)

md = [f"# One-shot ICL scoring: naive vs generate (prefix KV reuse) vs likelihood", "",
      f"Student {lm.name} ({n_params/1e6:.0f}M params, fp32, CPU, {a.threads} thread(s)); "
      f"{a.drafts} hand-written drafts x {a.questions} preference questions per task; max_new_tokens={a.max_new_tokens}; "
      f"batch {a.batch_size or 'default (256)'}. Matmul peak (fp32 1024², same threads): {peak/1e9:.1f} GFLOP/s, the larger of "
      f"torch.matmul (MKL, {peaks['mkl_matmul']/1e9:.1f}) and a oneDNN-packed linear ({peaks.get('onednn_packed_linear', 0)/1e9:.1f}). "
      f"Load average at start: {info['loadavg_start']}. "
      f"{f'Each mode ran untimed on 1 draft x {a.warmup} questions first (one-off costs: weight packing, allocator growth).' if a.warmup else 'No warm-up.'}",
      "", f"Command: `{command()}`", "",
      "| task | mode | wall s | evals/s | speedup vs naive | identical answers vs naive | Spearman ŝ_r vs naive | top/bottom agree | tokens | GFLOP/s | frac. of matmul peak |",
      "|---|---|---|---|---|---|---|---|---|---|---|"]
tot = {m: dict(s=0.0, tok=0, ev=0) for m in MODES}
for tname in a.tasks.split(","):
    task = load_task(tname, seed=0)
    rows = build_drafts(task, a.drafts)
    n_q = len({r["qid"] for r in rows})
    drafts = Dataset.from_list(rows)
    pref = task.pool[n_q:n_q + a.questions]
    runs, out = {}, {}
    pairs = [(d, q) for d in range(len(drafts)) for q in range(len(pref))]
    sample = sorted(random.Random(0).sample(pairs, a.naive_sample)) if 0 < a.naive_sample < len(pairs) else None
    for mode in MODES:
        os.environ["ARTE_PACKED_LINEARS"] = "0" if mode in ("naive", "generate_unpacked") else "auto"  # naive: stock layers
        if a.warmup:  # untimed: the first call's one-off costs (packing the weights, the allocator's first growth)
            score_drafts(drafts.select([0]), task, lm, pref[:a.warmup], mode=SCORE_MODE.get(mode, mode), max_new_tokens=a.max_new_tokens,
                         batch_size=a.batch_size, progress=False)
        st, before = {}, dict(lm.stats)
        t0 = time.perf_counter()
        if mode == "naive" and sample:  # the same loop (one generate per pair), on the sampled pairs only
            prs, dem = _as_rows(pref), [demo_of(r) for r in drafts]
            runs[mode] = {(d, q): icl_answers(lm, task, [dem[d]], [prs[q]], mode="naive", max_new_tokens=a.max_new_tokens)["predictions"][0][0]
                          for d, q in sample}
        else:
            runs[mode] = score_drafts(drafts, task, lm, pref, mode=SCORE_MODE.get(mode, mode), max_new_tokens=a.max_new_tokens, batch_size=a.batch_size,
                                      drafts_per_shard=a.drafts, progress=False, stats=st)
        s = time.perf_counter() - t0
        tok = tokens(mode, st, before); ev = len(sample) if mode == "naive" and sample else len(pairs)
        out[mode] = dict(wall_s=round(s, 2), evals=ev, evals_per_s=round(ev / s, 3), tokens=int(tok),
                         model_flops_per_s=2 * n_params * tok / s, stats={k: (round(v, 3) if isinstance(v, float) else v) for k, v in st.items()})
        out[mode]["fraction_of_matmul_peak"] = round(out[mode]["model_flops_per_s"] / peak, 4)
        tot[mode]["s"] += s; tot[mode]["tok"] += tok; tot[mode]["ev"] += ev
        print(tname, mode, out[mode], flush=True)
    for mode in MODES:
        o = out[mode]
        o.update(speedup_vs_naive=round(o["evals_per_s"] / out["naive"]["evals_per_s"], 2))
        if sample:  # agreement on the sampled pairs only
            same = [1.0 if mode == "naive" else float(runs[mode]["predictions"][d][q] == runs["naive"][(d, q)]) for d, q in sample]
            o.update(answer_agreement_vs_naive=round(float(np.mean(same)), 4), naive_sample=len(sample), spearman_vs_naive=None,
                     top_agree=None, bottom_agree=None, top_bottom_agreement=None)
        else:
            ag = mode_agreement(runs["naive"], runs[mode])
            o.update(answer_agreement_vs_naive=round(ag["identical_answers"], 4),
                     spearman_vs_naive=None if np.isnan(ag["spearman_r"]) else round(ag["spearman_r"], 4),
                     top_agree=ag["top_agree"], bottom_agree=ag["bottom_agree"],
                     top_bottom_agreement=round((ag["top_agree"] + ag["bottom_agree"]) / 2, 4))
        if not (sample and mode == "naive"):
            o.update(score_r_mean=round(float(np.mean(runs[mode]["score_r"])), 4),
                     parse_fail=round(sum(x is None for pp in runs[mode]["predictions"] for x in pp) / o["evals"], 4))
        md.append(f"| {task.name} | {mode} | {o['wall_s']} | {o['evals_per_s']} | {o['speedup_vs_naive']}x | {o['answer_agreement_vs_naive']:.3f} | "
                  f"{'—' if o['spearman_vs_naive'] is None else o['spearman_vs_naive']} | {f2(o['top_bottom_agreement'])} | {o['tokens']} | {o['model_flops_per_s']/1e9:.2f} | {o['fraction_of_matmul_peak']:.3f} |")
    out["score_r"] = {m: list(runs[m]["score_r"]) for m in MODES if not (sample and m == "naive")}
    if sample: out["naive_sample"] = [list(x) for x in sample]
    out["strategies"] = list(drafts["strategy"])
    out["correct_generate"] = list(runs["generate"]["correct"])
    res["tasks"][task.name] = out

for mode in MODES:  # per mode over all tasks (the top-level keys the issue asks for)
    ts = [res["tasks"][t][mode] for t in res["tasks"]]
    rate = lambda m: tot[m]["ev"] / tot[m]["s"]
    res[mode] = dict(evals_per_s=round(rate(mode), 3), speedup_vs_naive=round(rate(mode) / rate("naive"), 2),
                     answer_agreement_vs_naive=round(float(np.mean([x["answer_agreement_vs_naive"] for x in ts])), 4),
                     spearman_vs_naive=None if any(x["spearman_vs_naive"] is None for x in ts) else round(float(np.mean([x["spearman_vs_naive"] for x in ts])), 4),
                     top_bottom_agreement=None if any(x["top_bottom_agreement"] is None for x in ts) else round(float(np.mean([x["top_bottom_agreement"] for x in ts])), 4),
                     fraction_of_matmul_peak=round(2 * n_params * tot[mode]["tok"] / tot[mode]["s"] / peak, 4))
all_tok = sum(t["tok"] for t in tot.values()); all_s = sum(t["s"] for t in tot.values())
res["fraction_of_matmul_peak"] = round(2 * n_params * all_tok / all_s / peak, 4)
md += ["", "| mode (all tasks) | evals/s | speedup vs naive | identical answers | Spearman ŝ_r | top/bottom | frac. of matmul peak |", "|---|---|---|---|---|---|---|"]
md += [f"| {m} | {res[m]['evals_per_s']} | {res[m]['speedup_vs_naive']}x | {res[m]['answer_agreement_vs_naive']:.3f} | {'—' if res[m]['spearman_vs_naive'] is None else res[m]['spearman_vs_naive']} | "
       f"{f2(res[m]['top_bottom_agreement'])} | {res[m]['fraction_of_matmul_peak']:.3f} |" for m in MODES]
md += ["", f"Overall fraction of matmul peak: {res['fraction_of_matmul_peak']:.3f}. Evals = (draft, question) one-shot student "
       "evaluations; tokens = prompt + generated tokens actually run through the model (likelihood: prefix + suffix + candidate "
       "answers); FLOP/s = 2 × params × tokens / s. Identical answers = fraction of (draft, question) pairs with the same parsed answer "
       "as naive; top/bottom = mean of top- and bottom-rationale agreement per question. Shared CPU: wall times are noisy."]

if a.profile:
    from torch.profiler import profile, ProfilerActivity
    task = load_task(a.tasks.split(",")[0], seed=0); rows = build_drafts(task, min(a.drafts, 6)); n_q = len({r["qid"] for r in rows})
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        score_drafts(Dataset.from_list(rows), task, lm, task.pool[n_q:n_q + 4], mode="generate", max_new_tokens=a.max_new_tokens,
                     batch_size=a.batch_size, progress=False)
    tab = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12)
    print(tab); res["profile_generate_top"] = tab
if a.naive_sample:
    md += ["", f"Naive loop sampled: {a.naive_sample} random (draft, question) pairs per task (seed 0); its evals/s and the "
           "identical-answer fractions come from those pairs, and Spearman / top-bottom agreement are not measured (—)."]
save(a.name, res, md)
