"""How many preference questions does ŝ_r need? Split-half reliability and smallest resolvable gap vs k.

    OMP_NUM_THREADS=1 python bench/bench_reliability.py --quick      # 8 drafts x 40 questions, max_new_tokens 16
    OMP_NUM_THREADS=1 python bench/bench_reliability.py              # 24 drafts x 40 questions

Scores hand-written drafts (bench/_bench_common.py) on a 40-question preference set with `score_drafts(mode="generate")`
on the embedded student, giving a real drafts x questions 0/1 matrix; then, for k in (8, 12, 20, 40), subsamples k
questions (--reps random subsets) and reports the split-half reliability of ŝ_r (`prefset.split_half_reliability`)
and the smallest accuracy difference two drafts can be told apart by (`prefset.min_resolvable_gap`, binomial at the
mean accuracy and from the measured variance of per-question differences of draft pairs).
Writes bench/results/bench_reliability.{json,md}.
"""
import argparse, os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from itertools import combinations
import numpy as np, torch
from datasets import Dataset
from _bench_common import build_drafts, machine, command, save
from arte.prefset import split_half_reliability, min_resolvable_gap, questions_needed

p = argparse.ArgumentParser()
p.add_argument("--quick", action="store_true")
p.add_argument("--task", default="gen:multistep_arithmetic")
p.add_argument("--drafts", type=int, default=24)
p.add_argument("--questions", type=int, default=40)
p.add_argument("--ks", default="8,12,20,40")
p.add_argument("--reps", type=int, default=50, help="random question subsets per k")
p.add_argument("--max-new-tokens", type=int, default=64)
p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 1)))
p.add_argument("--matrix", default=None, help="a .npy drafts x questions 0/1 matrix to use instead of scoring")
a = p.parse_args()
if a.quick: a.drafts, a.max_new_tokens, a.reps = 8, 16, 30
torch.set_num_threads(a.threads)
info, t0 = machine(), time.time()
if a.matrix: C, strategies = np.load(a.matrix), None
else:
    from arte.models import load_model
    from arte.tasks import load_task
    from arte.score import score_drafts
    lm, task = load_model("arte:smollm2-135m"), load_task(a.task, seed=0)
    rows = build_drafts(task, a.drafts); n_q = len({r["qid"] for r in rows})
    sd = score_drafts(Dataset.from_list(rows), task, lm, task.pool[n_q:n_q + a.questions], mode="generate",
                      max_new_tokens=a.max_new_tokens, drafts_per_shard=a.drafts, progress=False)
    C, strategies = np.asarray(list(sd["correct"]), float), list(sd["strategy"])
score_s = round(time.time() - t0, 1)
D, Q = C.shape
ks = [k for k in map(int, a.ks.split(",")) if k <= Q]
g = np.random.default_rng(0)
pair_var = lambda M: float(np.mean([np.var(M[i] - M[j]) for i, j in combinations(range(len(M)), 2)]))
rows_out = []
for k in ks:
    rel, gm, gb = [], [], []
    for _ in range(a.reps if k < Q else 1):
        M = C[:, g.choice(Q, k, replace=False)] if k < Q else C
        r = split_half_reliability(M, n_splits=200, seed=0) if M.std() > 0 else float("nan")
        rel.append(r); gb.append(min_resolvable_gap(k, p=float(M.mean()))); gm.append(min_resolvable_gap(k, var=pair_var(M)))
    rel = np.asarray(rel, float)
    rows_out.append(dict(k=k, split_half=None if np.all(np.isnan(rel)) else round(float(np.nanmean(rel)), 3),
                         split_half_sd=None if np.all(np.isnan(rel)) else round(float(np.nanstd(rel)), 3),
                         min_gap_binomial=round(float(np.mean(gb)), 3), min_gap_measured=round(float(np.mean(gm)), 3)))
p_all, v_all = float(C.mean()), pair_var(C)
need = {gap: dict(binomial=questions_needed(gap, p=p_all), measured=questions_needed(gap, var=v_all)) for gap in (0.3, 0.2, 0.1)}
ok = [r for r in rows_out if r["split_half"] is not None and r["split_half"] >= 0.8]
rec = ok[0]["k"] if ok else None
per_draft = np.round(C.mean(1), 3).tolist()
res = dict(config=vars(a), machine=info, command=command(), n_drafts=D, n_questions=Q, score_s=score_s, mean_accuracy=round(p_all, 4),
           per_draft_accuracy=per_draft, strategies=strategies, by_k=rows_out, questions_needed=need, recommended_k=rec,
           matrix=C.astype(int).tolist())
md = ["# Preference-set size: reliability of ŝ_r vs k", "",
      f"{D} hand-written drafts x {Q} preference questions of {a.task} scored by the embedded SmolLM2-135M (generate mode, "
      f"max_new_tokens={a.max_new_tokens}); mean accuracy {p_all:.3f}; per-draft ŝ_r from {min(per_draft):.2f} to {max(per_draft):.2f}. "
      f"k questions drawn at random {a.reps} times per k (k={Q}: the full set). Load average at start {info['loadavg_start']}.", "",
      f"Command: `{command()}`", "",
      "| k | split-half reliability (mean ± sd over subsets) | min resolvable gap, binomial at mean p | min resolvable gap, measured pair variance |",
      "|---|---|---|---|"]
md += [f"| {r['k']} | {r['split_half']} ± {r['split_half_sd']} | {r['min_gap_binomial']} | {r['min_gap_measured']} |" for r in rows_out]
md += ["", "Questions needed to resolve a gap (alpha 0.05, power 0.5): " +
       "; ".join(f"{gap}: {v['binomial']} (binomial) / {v['measured']} (measured)" for gap, v in need.items()), "",
       f"Recommended k: **{rec}** (smallest k with split-half reliability >= 0.8 on this matrix)." if rec else
       "No k reaches split-half reliability 0.8 on this matrix: the drafts' ŝ_r spread is within noise; more questions (or a more discriminative preference set) are needed."]
save("bench_reliability", res, md)
