"""Benchmark of the embedded default model (arte:smollm2-135m) through `arte.models`.

Measures: the one-time GGUF -> safetensors conversion (in a throw-away cache), the cached load, a chat answer,
greedy generation throughput at batch 1 vs batched (64 new tokens), scoring throughput (`logprob`), and
zero-shot accuracy on 50 test items of a built-in task. Writes bench/results/models_smollm.{json,md}.

    OMP_NUM_THREADS=1 python bench/models_smollm.py            # about 5-8 minutes on 2 busy CPU cores
    python bench/models_smollm.py --no-convert --items 20      # skip the conversion timing, fewer items
"""
import os, sys, json, time, argparse, tempfile, shutil, platform
from pathlib import Path

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--task", default="gen:boolean_expressions", help="task for the zero-shot accuracy")
ap.add_argument("--items", type=int, default=50, help="test items for the zero-shot accuracy")
ap.add_argument("--max-new-tokens", type=int, default=160, help="budget of the zero-shot answers")
ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 1)), help="torch CPU threads")
ap.add_argument("--no-convert", action="store_true", help="do not time a fresh GGUF conversion")
ap.add_argument("--device", default=None); ap.add_argument("--dtype", default=None)
args = ap.parse_args()

import torch
torch.set_num_threads(args.threads)
from arte.core import cache_dir, save_json, atomic_write, env_info
from arte.models import load_model, embedded_model_path

R = {"env": {**env_info(), "threads": args.threads, "cpu": platform.processor() or platform.machine(),
             "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
             "load_avg_start": os.getloadavg()[0], "cpus": os.cpu_count()}}
out_dir = Path(__file__).parent/"results"

# 1. the one-time conversion, timed in a temporary cache so the user's cache is left alone
if not args.no_convert:
    tmp = tempfile.mkdtemp(prefix="arte-bench-cache-")
    old = os.environ.get("ARTE_CACHE"); os.environ["ARTE_CACHE"] = tmp
    try:
        t0 = time.time(); embedded_model_path(); R["convert_s"] = round(time.time() - t0, 1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is None: del os.environ["ARTE_CACHE"]
        else: os.environ["ARTE_CACHE"] = old
embedded_model_path()  # make sure the real cache holds it before timing the cached load

# 2. cached load
t0 = time.time(); lm = load_model("arte:smollm2-135m", device=args.device, dtype=args.dtype)
R["load_s"] = round(time.time() - t0, 2); R["model"] = lm.model_info()
params = R["model"]["params"]
print(f"loaded {lm} in {R['load_s']} s; {params:,} parameters", flush=True)

# 3. a chat answer
q = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]
R["chat"] = {"prompt": q[0]["content"], "answer": lm.generate([q], max_new_tokens=40)[0][0]}
print("chat:", R["chat"]["answer"], flush=True)

# 4. generation throughput: greedy, 64 new tokens, batch 1 vs batched
questions = ["Explain photosynthesis briefly.", "Write a haiku about the sea.", "What is 17 times 3?",
             "Give three tips for learning a language.", "Why is the sky blue?", "Describe a cat to a child.",
             "What is the boiling point of water?", "Name the planets of the solar system.",
             "How do vaccines work?", "Summarise the plot of Cinderella.", "What is a prime number?",
             "Translate 'good morning' into French.", "List four primary colours.", "What does a CPU do?",
             "How many legs does a spider have?", "Suggest a name for a bakery."]
prompts = [[{"role": "user", "content": x}] for x in questions]

def throughput(ps, bs):
    lm.batch_size = bs
    s0 = dict(lm.stats); t0 = time.time()
    outs = lm.generate(ps, max_new_tokens=64)
    dt = time.time() - t0; new = lm.stats["new_tokens"] - s0["new_tokens"]
    return dict(prompts=len(ps), batch_size=bs, new_tokens=new, seconds=round(dt, 2), tokens_per_s=round(new / dt, 1),
                gflops_per_s=round(2 * params * new / dt / 1e9, 2)), outs

R["generate"] = []
for ps, bs in ((prompts[:8], 1), (prompts[:8], 8), (prompts, 16)):
    r, outs = throughput(ps, bs); R["generate"].append(r); print("generate:", r, flush=True)
b1, b8 = R["generate"][0], R["generate"][1]

# 5. scoring throughput: (prompt, continuation) pairs, batch 16
pairs = [(p, " " + a) for p in ["The capital of France is", "Two plus two equals", "The opposite of hot is",
                                "Water freezes at", "The largest planet is", "A baby dog is called a",
                                "The colour of grass is", "Shakespeare wrote"]
         for a in ["Paris", "four", "cold", "zero degrees", "Jupiter", "puppy", "green", "Hamlet"]]
lm.batch_size = 16; s0 = dict(lm.stats); t0 = time.time()
lp = lm.logprob([p for p, _ in pairs], [c for _, c in pairs]); dt = time.time() - t0
tok = lm.stats["scored_tokens"] - s0["scored_tokens"]
R["logprob"] = dict(pairs=len(pairs), batch_size=16, tokens=tok, seconds=round(dt, 2), tokens_per_s=round(tok / dt, 1))
right = sum(max(range(8), key=lambda j: lp[i * 8 + j][0]) == i for i in range(8))
R["logprob"]["matched_own_answer"] = f"{right}/8"
print("logprob:", R["logprob"], flush=True)

# 6. zero-shot accuracy on a built-in task
from arte.tasks import load_task
task = load_task(args.task, seed=0)
items = task.test[:args.items]
zs = [[{"role": "user", "content": f"{task.description}\n\nQ: {ex['input']}\n"
        "End your answer with 'So the answer is <answer>.'"}] for ex in items]
lm.batch_size = 16; t0 = time.time()
answers = [o[0] for o in lm.generate(zs, max_new_tokens=args.max_new_tokens)]
dt = time.time() - t0
preds = [task.parse_answer(a, ex["input"]) for a, ex in zip(answers, items)]
correct = [task.is_correct(p, ex["target"]) for p, ex in zip(preds, items)]
golds = [ex["target"] for ex in items]
majority = max(set(golds), key=golds.count)
R["zero_shot"] = dict(task=args.task, items=len(items), accuracy=round(sum(correct) / len(items), 3),
                      parsed=round(sum(p is not None for p in preds) / len(items), 3),
                      majority_baseline=round(golds.count(majority) / len(items), 3), seconds=round(dt, 1),
                      max_new_tokens=args.max_new_tokens, example_answer=answers[0])
print("zero-shot:", {k: v for k, v in R["zero_shot"].items() if k != "example_answer"}, flush=True)

# 7. the same items scored by option likelihood: log p(" <option>" | chat prompt + "So the answer is"), length-normalised
cands = [task.candidates(ex) for ex in items]
flat = [(lm.render(m) + "So the answer is", " " + c) for m, cs in zip(zs, cands) for c in cs]
t0 = time.time(); lps = lm.logprob([p for p, _ in flat], [c for _, c in flat]); dt = time.time() - t0
k, picks = 0, []
for cs in cands:
    means = [m for _, m in lps[k:k + len(cs)]]; picks.append(cs[means.index(max(means))]); k += len(cs)
R["zero_shot_likelihood"] = dict(items=len(items), accuracy=round(sum(task.is_correct(p, ex["target"]) for p, ex in zip(picks, items)) / len(items), 3),
                                 options_per_item=round(len(flat) / len(items), 2), seconds=round(dt, 1))
print("zero-shot likelihood:", R["zero_shot_likelihood"], flush=True)

# results
R["env"]["load_avg_end"] = os.getloadavg()[0]
out_dir.mkdir(parents=True, exist_ok=True)
save_json(out_dir/"models_smollm.json", R)
g = R["generate"]; z = R["zero_shot"]; e = R["env"]
md = [f"# arte:smollm2-135m through arte.models",
      "", f"torch {e['torch']}, transformers {e['transformers']}, {e['threads']} CPU thread(s)"
          + (f", GPU {e['cuda']}" if e["cuda"] else "") + f", dtype {R['model']['dtype']}, {params:,} parameters; "
          f"load average {e['load_avg_start']:.1f} -> {e['load_avg_end']:.1f} on {e['cpus']} CPUs (other jobs slow every timing).",
      "", "| measure | value |", "|---|---|"]
if "convert_s" in R: md.append(f"| first use: GGUF -> safetensors conversion | {R['convert_s']} s |")
md += [f"| cached load | {R['load_s']} s |",
       *[f"| greedy generation, {r['prompts']} chat prompts, batch {r['batch_size']}, 64 new tokens | "
         f"{r['tokens_per_s']} tokens/s ({r['new_tokens']} tokens in {r['seconds']} s; {r['gflops_per_s']} GFLOP/s) |" for r in g],
       f"| batched speed-up (batch 8 vs 1, same 8 prompts) | {b8['tokens_per_s'] / b1['tokens_per_s']:.1f}x |",
       f"| scoring (`logprob`), {R['logprob']['pairs']} pairs, batch 16 | {R['logprob']['tokens_per_s']} tokens/s |",
       f"| zero-shot {z['task']}, {z['items']} test items | accuracy {z['accuracy']} (answer parsed {z['parsed']}, "
       f"majority class {z['majority_baseline']}), {z['seconds']} s |",
       f"| zero-shot {z['task']}, same items, by option likelihood | accuracy {R['zero_shot_likelihood']['accuracy']}, "
       f"{R['zero_shot_likelihood']['seconds']} s |",
       "", f"Chat answer to \"{R['chat']['prompt']}\": {R['chat']['answer']!r}",
       "", f"First zero-shot answer: {z['example_answer']!r}", ""]
atomic_write(out_dir/"models_smollm.md", "\n".join(md))
print("\n".join(md))
