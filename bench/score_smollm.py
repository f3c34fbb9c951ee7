"""One-shot ICL scoring on the embedded student (SmolLM2-135M-Instruct), generate vs likelihood mode.

    OMP_NUM_THREADS=1 python bench/score_smollm.py [--task gen:multistep_arithmetic:1] [--n-naive 4] [--drafts /tmp/drafts.jsonl] [--work /tmp/score-work]

16 questions of a built-in task x 2 strategies = 32 drafts; the rationales are written by the same 135M model as
teacher (`arte.draft.draft_rationales`). They are scored on a 12-question preference set (the next 12 questions
of the task's pool; not IRT-selected) in generate mode (shared-prefix fast path) and likelihood mode; the
first `--n-naive` drafts are also scored by the naive loop (one `generate` call per pair) to check that the fast
path gives identical answers and to time both. Writes bench/results/score_smollm.{json,md,png}.
Wall times on a shared CPU are noisy: compare them only within one run.
"""
import argparse, json, os, time
from pathlib import Path
import torch
from datasets import Dataset
from arte.core import env_info, save_json
from arte.models import load_model
from arte.tasks import load_task
from arte.draft import draft_rationales
from arte.score import score_drafts, mode_agreement, score_diagnostics, plot_scores

p = argparse.ArgumentParser()
p.add_argument("--task", default="gen:multistep_arithmetic:1")
p.add_argument("--n-questions", type=int, default=16)
p.add_argument("--n-pref", type=int, default=12)
p.add_argument("--n-naive", type=int, default=4)
p.add_argument("--max-new-tokens", type=int, default=128)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--batch-size", type=int, default=32, help="rows per forward pass on the fast path")
p.add_argument("--work", default=None, help="a folder for resumable score shards (a killed run continues)")
p.add_argument("--drafts", default=None, help="a .jsonl file to reuse drafts from (written on the first run)")
a = p.parse_args()
torch.set_num_threads(a.threads)
out = Path(__file__).parent/"results"; out.mkdir(exist_ok=True)

t0 = time.time(); lm = load_model("arte:smollm2-135m"); load_s = time.time() - t0
task = load_task(a.task, seed=0)
qs = [dict(e, qid=f"q{i}") for i, e in enumerate(task.pool[:a.n_questions])]
pref = task.pool[a.n_questions:a.n_questions + a.n_pref]
t0 = time.time()
if a.drafts and os.path.exists(a.drafts): drafts = Dataset.from_json(a.drafts)
else:
    drafts = Dataset.from_list(draft_rationales(lm, task, qs, strategies=["expert", "plain"], max_new_tokens=192, progress=True))
    if a.drafts: drafts.to_json(a.drafts)
draft_s = time.time() - t0
print(f"{len(drafts)} drafts in {draft_s:.0f} s; {sum(drafts['agrees'])} agree with their target")

runs, stats = {}, {}
for mode in ("generate", "likelihood"):
    stats[mode] = {}
    t0 = time.time()
    runs[mode] = score_drafts(drafts, task, lm, pref, mode=mode, max_new_tokens=a.max_new_tokens, keep_outputs=True,
                              batch_size=a.batch_size, drafts_per_shard=8, progress=True, stats=stats[mode],
                              out_dir=f"{a.work}/{mode}" if a.work else None)
    stats[mode]["wall_s"] = round(time.time() - t0, 2)
    print(mode, stats[mode])

sub = drafts.select(range(min(a.n_naive, len(drafts))))
naive = {}
for mode in ("generate", "naive"):
    st = {}; t0 = time.time()
    naive[mode] = score_drafts(sub, task, lm, pref, mode=mode, max_new_tokens=a.max_new_tokens, keep_outputs=True,
                               batch_size=a.batch_size, drafts_per_shard=1, progress=True, stats=st,
                               out_dir=f"{a.work}/subset-{mode}" if a.work else None)
    naive[mode + "_s"] = round(time.time() - t0, 2)
    print(mode, "subset", naive[mode + "_s"], "s")
fa, na = naive["generate"], naive["naive"]
pairs = [(x, y) for r, s in zip(fa, na) for x, y in zip(r["predictions"], s["predictions"])]
texts = [(x, y) for r, s in zip(fa, na) for x, y in zip(r["outputs"], s["outputs"])]

agree = mode_agreement(runs["generate"], runs["likelihood"])
diag = {m: score_diagnostics(runs[m]) for m in runs}
res = dict(task=a.task, student=lm.name, n_drafts=len(drafts), n_pref=len(pref), max_new_tokens=a.max_new_tokens,
           threads=a.threads, batch_size=a.batch_size, resumed_from_shards=bool(a.work), load_s=round(load_s, 1), draft_s=round(draft_s, 1),
           drafts_agree=int(sum(drafts["agrees"])),
           wall_s={m: stats[m]["wall_s"] for m in runs}, stats=stats,
           s_per_pair={m: round(stats[m]["wall_s"] / (len(drafts) * len(pref)), 4) for m in runs},
           agreement_generate_vs_likelihood=agree, diagnostics=diag,
           naive_check=dict(n_drafts=len(sub), pairs=len(pairs), fast_s=naive["generate_s"], naive_s=naive["naive_s"],
                            speedup=round(naive["naive_s"] / naive["generate_s"], 2),
                            identical_answers=sum(x == y for x, y in pairs) / len(pairs),
                            identical_texts=sum(x == y for x, y in texts) / len(texts),
                            score_r_fast=list(fa["score_r"]), score_r_naive=list(na["score_r"])),
           score_r={m: list(runs[m]["score_r"]) for m in runs},
           strategies=list(drafts["strategy"]), agrees=list(drafts["agrees"]),
           env=env_info(), note="shared 2-core CPU with other jobs running: wall times are noisy")
save_json(out/"score_smollm.json", res)
plot_scores(runs["generate"], f"{lm.name}, {a.task}, generate mode").savefig(out/"score_smollm.png")

g, l = runs["generate"], runs["likelihood"]
fmt = lambda d: f"{d['mean']:.3f} / {d['std']:.3f} / {d['min']:.2f} / {d['median']:.2f} / {d['max']:.2f}"
md = [f"# One-shot ICL scoring on {lm.name} ({a.task})", "",
      f"{len(drafts)} drafts ({a.n_questions} pool questions x 2 strategies, rationales by the same 135M model as teacher, "
      f"{res['drafts_agree']} agree with the target) scored on {len(pref)} preference questions; max_new_tokens={a.max_new_tokens}; "
      f"torch threads={a.threads}, rows per forward={a.batch_size}. Shared CPU: wall times are noisy"
      + (" (and with --work, a resumed run's times count only the shards computed in that run)." if a.work else "."), "",
      "| mode | wall s | s per pair | ŝ_r mean / std / min / median / max | parse fail |", "|---|---|---|---|---|"]
for m in runs:
    md.append(f"| {m} | {stats[m]['wall_s']} | {res['s_per_pair'][m]} | {fmt(diag[m]['score_r'])} | {diag[m].get('parse_fail')} |")
nc = res["naive_check"]
md += ["", f"**generate vs likelihood:** Spearman of ŝ_r {agree['spearman_r']:.3f}, of ŝ_q {agree['spearman_q']:.3f}; "
       f"top rationale agrees on {agree['top_agree']:.2f} and bottom on {agree['bottom_agree']:.2f} of {agree['n_questions']} questions "
       f"(ties broken by row order; where both modes have a unique choice: top {agree['top_agree_untied']:.2f} of {agree['n_top_untied']}, "
       f"bottom {agree['bottom_agree_untied']:.2f} of {agree['n_bottom_untied']}); "
       f"identical answers {agree['identical_answers']:.3f}.", "",
       f"**fast vs naive (first {nc['n_drafts']} drafts, {nc['pairs']} pairs):** identical parsed answers {nc['identical_answers']:.3f}, "
       f"identical texts {nc['identical_texts']:.3f}; fast {nc['fast_s']} s, naive {nc['naive_s']} s ({nc['speedup']}x).", "",
       "Diagnostics (generate mode):", "", "```", json.dumps(diag["generate"], indent=1), "```"]
(out/"score_smollm.md").write_text("\n".join(md) + "\n")
print("\n".join(md))
