"""Teacher generation throughput on the embedded model, batched vs sequential, with peak RSS.

    OMP_NUM_THREADS=1 python bench/bench_generation.py --quick     # 8 prompts x 32 new tokens
    OMP_NUM_THREADS=1 python bench/bench_generation.py             # 16 prompts x 96 new tokens

The teacher prompt is `prompts.step_by_step_prompt(task, question)` (chat-templated) for pool questions of the task;
sampling at temperature 0.7, top_p 0.95, fixed seed, no stop strings, so every row can use its whole budget.
Batch sizes 1 (sequential), 8 and 16 run the same prompts; tokens/s counts the generated tokens actually produced
(`lm.stats["new_tokens"]`); peak RSS is sampled every 20 ms during each run. Writes bench/results/bench_generation.{json,md}.
"""
import argparse, os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import torch
from _bench_common import PeakRSS, machine, command, save, rss_mb
from arte.models import load_model
from arte.tasks import load_task
from arte.prompts import step_by_step_prompt

p = argparse.ArgumentParser()
p.add_argument("--quick", action="store_true")
p.add_argument("--task", default="gen:boolean_expressions")
p.add_argument("--prompts", type=int, default=16)
p.add_argument("--max-new-tokens", type=int, default=96)
p.add_argument("--batches", default="1,8,16")
p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 1)))
a = p.parse_args()
if a.quick: a.prompts, a.max_new_tokens = 8, 32
torch.set_num_threads(a.threads)
info = machine()
lm = load_model("arte:smollm2-135m")
task = load_task(a.task, seed=0)
prompts = [step_by_step_prompt(task, e["input"]) for e in task.pool[:a.prompts]]
base_rss = round(rss_mb(), 1)
runs = []
for b in map(int, a.batches.split(",")):
    if b > a.prompts: continue
    lm.batch_size = b
    before = dict(lm.stats)
    with PeakRSS() as pr:
        t0 = time.perf_counter()
        lm.generate(prompts, n=1, temperature=0.7, top_p=0.95, max_new_tokens=a.max_new_tokens, seed=0)
        s = time.perf_counter() - t0
    new = lm.stats["new_tokens"] - before["new_tokens"]; pt = lm.stats["prompt_tokens"] - before["prompt_tokens"]
    runs.append(dict(batch=b, wall_s=round(s, 2), new_tokens=new, prompt_tokens=pt, tokens_per_s=round(new / s, 1), peak_rss_mb=pr.peak_mb))
    print(runs[-1], flush=True)
for r in runs: r["speedup_vs_batch1"] = round(r["tokens_per_s"] / runs[0]["tokens_per_s"], 2)
res = dict(config=vars(a), machine=info, command=command(), student=lm.name, rss_after_load_mb=base_rss, runs=runs)
md = ["# Teacher generation throughput: batched vs sequential", "",
      f"{lm.name} as teacher, {a.prompts} step-by-step prompts of {a.task}, {a.max_new_tokens} new tokens max, sampling "
      f"(T=0.7, top_p=0.95), fp32 CPU, {a.threads} thread(s). RSS after loading: {base_rss} MB. Load average at start {info['loadavg_start']}.", "",
      f"Command: `{command()}`", "", "| batch | wall s | new tokens | tokens/s | speedup vs batch 1 | peak RSS MB |", "|---|---|---|---|---|---|"]
md += [f"| {r['batch']} | {r['wall_s']} | {r['new_tokens']} | {r['tokens_per_s']} | {r['speedup_vs_batch1']}x | {r['peak_rss_mb']} |" for r in runs]
save("bench_generation", res, md)
