"""Decode vs prefill cost per token by batch size: why batching sets the scorer's speed on a CPU. One forward pass of the embedded student at
several batch sizes: prefill of 200-token prompts, and one decode step against their 200-token KV cache.

    OMP_NUM_THREADS=1 python bench/bench_decode.py [--quick]      # ~2 min on 2 idle cores (--quick: fewer sizes)

Per-token costs side by side in one process: batch-1 decoding is memory-bound (each step reads every weight for one
token), so the rows decoding together set the scorer's throughput (`arte.engine.PrefixEngine`, continuous batching).
Writes bench/results/bench_decode.{json,md}.
"""
import argparse, os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
import torch
from _bench_common import matmul_peak, machine, command, save
from arte.models import load_model

p = argparse.ArgumentParser()
p.add_argument("--quick", action="store_true", help="batch sizes 1, 16, 64 only")
p.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 1)))
p.add_argument("--prompt", type=int, default=200, help="prompt (and cache) length in tokens")
a = p.parse_args()
torch.set_num_threads(a.threads)
info, peak = machine(), matmul_peak(a.threads)
lm = load_model("arte:smollm2-135m"); m = lm.model
n_params = sum(x.numel() for x in m.parameters())
sizes = (1, 16, 64) if a.quick else (1, 4, 16, 32, 64, 128)
rows = []
from transformers import DynamicCache
for B in sizes:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(100, 10000, (B, a.prompt), generator=g)
    with torch.inference_mode():
        cache = DynamicCache(); t0 = time.perf_counter()
        out = m(input_ids=ids, past_key_values=cache, use_cache=True, logits_to_keep=1)
        pre = time.perf_counter() - t0
        x = out.logits[:, -1].argmax(-1)[:, None]; steps = 6; t0 = time.perf_counter()
        for _ in range(steps): x = m(input_ids=x, past_key_values=cache, use_cache=True, logits_to_keep=1).logits[:, -1].argmax(-1)[:, None]
        dec = (time.perf_counter() - t0) / steps
    r = dict(batch=B, prefill_ms_per_token=round(pre / (B * a.prompt) * 1000, 2), decode_step_ms=round(dec * 1000, 1),
             decode_ms_per_row_token=round(dec / B * 1000, 2), decode_frac_of_peak=round(2 * n_params * B / dec / peak, 3))
    rows.append(r); print(r, flush=True)
b1 = rows[0]["decode_ms_per_row_token"]
md = ["# Decode vs prefill cost per token, by batch size", "",
      f"Student {lm.name} ({n_params/1e6:.0f}M params, fp32, CPU, {a.threads} thread(s)); {a.prompt}-token prompts; "
      f"matmul peak (fp32 1024², same threads) {peak/1e9:.1f} GFLOP/s; load average at start {info['loadavg_start']}.", "",
      f"Command: `{command()}`", "",
      "| batch | prefill ms/token | decode step ms | decode ms per row-token | decode speed-up vs batch 1 | decode frac. of matmul peak |",
      "|---|---|---|---|---|---|"]
md += [f"| {r['batch']} | {r['prefill_ms_per_token']} | {r['decode_step_ms']} | {r['decode_ms_per_row_token']} | "
       f"{b1 / r['decode_ms_per_row_token']:.1f}x | {r['decode_frac_of_peak']} |" for r in rows]
md += ["", "A decode step of one row costs about as much as many prompt tokens in a batched prefill: it reads all the "
       "weights to compute one token. The naive scorer decodes at batch 1; the fast path decodes up to 64 rows together "
       "(continuous batching), so its speed-up over the naive loop is bounded by the ratio in the fifth column."]
save("bench_decode", dict(command=command(), machine=info, matmul_peak_flops=peak, params=n_params, prompt=a.prompt, rows=rows), md)
