"""The GPU check: what one CUDA GPU does with arte's training and generation paths, with no download.

    python bench/gpu_check.py              # on a CUDA GPU; writes bench/results/gpu_check.{json,md}
    python bench/gpu_check.py --dry-run    # the same setup and code paths on a CPU at toy sizes (CI); writes to a temp folder

What it measures, on a Llama-architecture model of about 1.1B parameters (TinyLlama's shape: hidden 2048, 22 layers,
32 heads / 4 KV heads, MLP 5632, vocabulary 32000) built from a config with random weights (seeded) and saved to a
temp folder with the test kit's tokenizer, so nothing is downloaded:

- **Unsloth against plain TRL** for DPO and for SFT (LoRA r 16 on all linear layers, bf16, batch 4, 512 tokens,
  gradient checkpointing): mean step time after 3 warm-up steps, and peak VRAM (`torch.cuda.max_memory_allocated`).
  Both go through `arte.train.trainable_model` and TRL's trainers, as `align_teacher` and `distill_student` do.
- **4-bit against 16-bit**: the same plain-TRL DPO and SFT with `quantization="4bit"` (QLoRA through bitsandbytes),
  and loading for generation: seconds, VRAM after loading, and greedy tokens per second on a batch of 16.
- **Scoring**: the in-process engine (`HFLM` with shared-prefix reuse) against plain batched `generate` and one
  prompt at a time ("naive"), on one-shot scoring prompts (one draft as the demonstration, 40 questions each),
  greedy, with a check that the texts agree.

Sized to finish in under 8 minutes on one H100/H200 (planned from the sizes: about 20 s to build the model, 40-90 s
per training arm, 30 s per loading arm, about a minute of scoring; it has not run on a GPU yet, so no measured time
is claimed here). Each arm runs in a fresh subprocess (`import unsloth` patches transformers/TRL globally and must come first), so the
arms do not share memory or patches. An arm that fails is recorded with its error, and the others still run.
`--dry-run` runs the setup and the plain-TRL, generation and scoring arms at toy sizes on the CPU, and checks that
the 4-bit and Unsloth arms are refused there with a clear reason; it exits 0 when every arm it runs works.

**Bringing the missing packages to a GPU machine without internet.** A typical offline GPU image has torch,
transformers 5.17, peft and accelerate, but not trl, datasets, fastcore, bitsandbytes or unsloth. Download their
wheels on a machine with internet, for the GPU machine's Python (3.12 here), into folders that git ignores, and copy
them over with the repository. Where a transfer is capped at 64 MiB, send them in two sets (bitsandbytes alone is
41 MiB, unsloth 27 MiB):

    echo "/.whl*/" >> .git/info/exclude
    P="--no-deps --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64
       --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64"
    pip download $P -d .whl1 trl==1.15.0 datasets==4.8.5 dill==0.4.1 multiprocess==0.70.19 fastcore==2.2.41 \
        bitsandbytes==0.50.2                                                                   # ~43 MiB
    pip download $P -d .whl2 unsloth==2026.10.9 unsloth_zoo==2026.10.9 torchao==0.18.0 cut-cross-entropy==25.1.1 \
        tyro==1.0.17 docstring_parser==0.18.0 typeguard==4.6.1 msgspec==0.23.0 hf_transfer==0.1.9 json5==0.17.3 \
        nest-asyncio==1.6.0 structlog==26.1.0                                                  # ~37 MiB

On the GPU machine, after the first set: `python3 -m pip install -q --no-index --no-deps --target /tmp/site
.whl1/*.whl`; after the second (the same machine, so that /tmp/site is still there): the same with `.whl2`, then
`PYTHONPATH=/tmp/site:. python3 bench/gpu_check.py`. The versions are the set `pip install "arte[unsloth]"`
resolves to (`.ci/unsloth.sh` prints it). xformers is left out (Unsloth falls back to PyTorch attention without
it). With only the first set, the Unsloth arm is recorded as "not installed" and the rest runs.
"""
import argparse, gc, json, os, platform, shutil, subprocess, sys, tempfile, time, traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GPU_MODEL = dict(hidden_size=2048, num_hidden_layers=22, num_attention_heads=32, num_key_value_heads=4,
                 intermediate_size=5632, vocab_size=32000, max_position_embeddings=2048)
TOY_MODEL = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                 intermediate_size=128, vocab_size=1024, max_position_embeddings=512)
GPU_SIZES = dict(steps=11, warmup=3, batch=4, max_length=512, gen_batch=16, gen_tokens=128, drafts=8, questions=40,
                 score_tokens=48, naive_prompts=40)
TOY_SIZES = dict(steps=3, warmup=1, batch=2, max_length=64, gen_batch=4, gen_tokens=8, drafts=2, questions=4,
                 score_tokens=6, naive_prompts=4)

def build_model(dest:Path, shape:dict, device:str):
    "A Llama model with seeded random weights (bf16 on a GPU, fp32 on the CPU) and the test kit's tokenizer, saved to `dest`."
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
    sys.path.insert(0, str(ROOT))
    from arte.testing import tiny_lm_path
    tok = AutoTokenizer.from_pretrained(tiny_lm_path())
    cfg = LlamaConfig(**shape, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                      tie_word_embeddings=False)
    torch.manual_seed(0)
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    with torch.device(device): model = LlamaForCausalLM(cfg).to(dtype)
    model.save_pretrained(dest); tok.save_pretrained(dest)
    n = sum(p.numel() for p in model.parameters())
    del model; gc.collect()
    if device == "cuda": torch.cuda.empty_cache()
    return n

# ---------------------------------------------------------------- workers (each in its own process)
def _sync():
    import torch
    if torch.cuda.is_available(): torch.cuda.synchronize()

def _peak_mb():
    import torch
    return round(torch.cuda.max_memory_allocated() / 2**20) if torch.cuda.is_available() else None

def _reset():
    import torch
    gc.collect()
    if torch.cuda.is_available(): torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()

def work_train(c:dict)->dict:
    "DPO and SFT through arte.train with `backend` (trl or unsloth) and `quantization` (None or 4bit)."
    if c["backend"] == "unsloth": import unsloth  # noqa: F401  -- first, before transformers/trl/peft
    import torch
    from transformers import TrainerCallback
    from arte.train import trainable_model, lora_config, dpo_config, sft_config, quiet_training, import_unsloth
    from datasets import Dataset
    dev, s = c["device"], c["sizes"]
    dtype = "bfloat16" if dev == "cuda" else "float32"
    filler = " ".join(["step"] * (s["max_length"] // 4))
    q = lambda i: f"Question {i}: what is {i} + {i}? Think step by step."
    a = lambda i, ok: f"{filler} so {i} + {i} = {2 * i if ok else 2 * i + 1}. <ans>{2 * i if ok else 2 * i + 1}</ans>"
    n = s["steps"] * s["batch"]
    data = {"dpo": Dataset.from_list([{"prompt": [{"role": "user", "content": q(i)}], "chosen": [{"role": "assistant", "content": a(i, True)}],
                                       "rejected": [{"role": "assistant", "content": a(i, False)}]} for i in range(n)]),
            "sft": Dataset.from_list([{"prompt": q(i) + "\nAnswer:", "completion": " " + a(i, True)} for i in range(n)])}
    out = {}
    for kind in ("sft", "dpo"):
        times = []
        class Timer(TrainerCallback):
            def on_step_begin(self, *x, **k): _sync(); self.t = time.perf_counter()
            def on_step_end(self, *x, **k): _sync(); times.append(time.perf_counter() - self.t)
        _reset(); t0 = time.perf_counter()
        unsl = c["backend"] == "unsloth"
        if unsl: import_unsloth(kind.upper())
        from trl import DPOTrainer, SFTTrainer
        model, tok, pc = trainable_model(c["model"], None, lora_config("lora"), unsloth=unsl, max_length=s["max_length"],
                                         dtype=dtype, device=dev, quantization=c["quantization"])
        load_s = time.perf_counter() - t0
        make = dpo_config if kind == "dpo" else sft_config
        args = make("lora", Path(c["tmp"])/f"{c['backend']}-{kind}", device=dev, dtype=dtype, max_steps=s["steps"],
                    per_device_train_batch_size=s["batch"], gradient_accumulation_steps=1, max_length=s["max_length"],
                    logging_steps=1000, warmup_steps=0)
        T = DPOTrainer if kind == "dpo" else SFTTrainer
        with quiet_training():
            tr = T(model=model, args=args, train_dataset=data[kind], processing_class=tok, peft_config=pc, callbacks=[Timer()])
            tr.train()
        w = times[s["warmup"]:] or times
        out[kind] = dict(step_s=round(sum(w) / len(w), 4), steps=len(times), peak_vram_mb=_peak_mb(), load_s=round(load_s, 2),
                         loss=round(tr.state.log_history[-1].get("train_loss", float("nan")), 4))
        del tr, model; _reset()
    import transformers, trl, peft
    out["versions"] = dict(torch=torch.__version__, transformers=transformers.__version__, trl=trl.__version__, peft=peft.__version__,
                           unsloth=getattr(sys.modules.get("unsloth"), "__version__", None))
    return out

def work_generate(c:dict)->dict:
    "Load for generation (16-bit or 4-bit): seconds, memory after loading, greedy tokens per second on a batch."
    import torch
    from arte.models import load_model
    dev, s = c["device"], c["sizes"]
    _reset(); t0 = time.perf_counter()
    lm = load_model(c["model"], dtype="bfloat16" if dev == "cuda" else "float32", device=dev, quantization=c["quantization"],
                    use_unsloth=False, batch_size=s["gen_batch"])
    _sync(); load_s = time.perf_counter() - t0
    mem = round(torch.cuda.memory_allocated() / 2**20) if dev == "cuda" else None
    lm.reuse_prefix = False
    prompts = [f"Question {i}: how many apples are left if I eat {i} of {3 * i}?" for i in range(s["gen_batch"])]
    lm.generate(prompts[:2], max_new_tokens=4)  # warm-up
    before = lm.stats["new_tokens"]
    _sync(); t0 = time.perf_counter()
    lm.generate(prompts, max_new_tokens=s["gen_tokens"])
    _sync(); secs = time.perf_counter() - t0
    new = lm.stats["new_tokens"] - before
    return dict(load_s=round(load_s, 2), vram_after_load_mb=mem, gen_s=round(secs, 3), new_tokens=new,
                tokens_per_s=round(new / secs, 1), peak_vram_mb=_peak_mb(), dtype=lm.model_info()["dtype"])

def work_score(c:dict)->dict:
    "One-shot scoring prompts, greedy: the engine (shared prefixes) vs plain batched generate vs one prompt at a time."
    import torch
    from arte.models import load_model
    from arte.prompts import student_prompt
    from types import SimpleNamespace
    dev, s = c["device"], c["sizes"]
    lm = load_model(c["model"], dtype="bfloat16" if dev == "cuda" else "float32", device=dev, use_unsloth=False)
    task = SimpleNamespace(description="Evaluate the result of a random Boolean expression.")
    demo = lambda d: {"input": f"not ( True ) and ( {d % 2 == 0} ) or not False and True is",
                      "rationale": " ".join(["First evaluate the innermost brackets, then the not, then and, then or."] * 6) + " <ans>True</ans>"}
    qs = [f"( True and not False ) or ( {i % 3 == 0} and False ) is" for i in range(s["questions"])]
    prompts = [student_prompt(task, q, [demo(d)]) for d in range(s["drafts"]) for q in qs]
    res, texts = {}, {}
    for name, reuse, bs, ps in (("engine", True, 64, prompts), ("batched", False, 64, prompts), ("naive", False, 1, prompts[:s["naive_prompts"]])):
        lm.reuse_prefix, lm.batch_size = reuse, bs
        lm.generate(ps[:2], max_new_tokens=2)  # warm-up
        _reset(); _sync(); t0 = time.perf_counter()
        texts[name] = [o[0] for o in lm.generate(ps, max_new_tokens=s["score_tokens"])]
        _sync(); secs = time.perf_counter() - t0
        res[name] = dict(prompts=len(ps), seconds=round(secs, 3), per_prompt_s=round(secs / len(ps), 5), peak_vram_mb=_peak_mb())
    n = s["naive_prompts"]
    res["same_text_engine_vs_batched"] = sum(a == b for a, b in zip(texts["engine"], texts["batched"])) / len(prompts)
    res["same_text_naive_vs_batched"] = sum(a == b for a, b in zip(texts["naive"], texts["batched"][:n])) / n
    res["prompt_tokens_mean"] = round(sum(map(len, lm.encode(prompts))) / len(prompts), 1)
    return res

WORKERS = dict(train=work_train, generate=work_generate, score=work_score)

def run_worker(c:dict, timeout:int)->dict:
    "Run one arm in a fresh Python process; its result, or its error."
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
               TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               ARTE_USE_UNSLOTH="1" if c.get("backend") == "unsloth" else "0")
    t0 = time.time()
    try: p = subprocess.run([sys.executable, __file__, "--worker", json.dumps(c)], capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired: return dict(error=f"timed out after {timeout}s", wall_s=timeout)
    line = next((l for l in p.stdout.splitlines()[::-1] if l.startswith("RESULT ")), None)
    r = json.loads(line[7:]) if line else dict(error=(p.stderr or p.stdout)[-3000:])
    r["wall_s"] = round(time.time() - t0, 1)
    return r

# ---------------------------------------------------------------- the check
def refusals()->dict:
    "On a machine without CUDA: the reasons the 4-bit and Unsloth arms cannot run (they must be clear errors)."
    sys.path.insert(0, str(ROOT))
    from arte.core import ArteError
    from arte.models import check_quantization, want_unsloth
    out = {}
    try: check_quantization("4bit"); out["4bit"] = None
    except ArteError as e: out["4bit"] = str(e)
    try: out["unsloth"] = None if want_unsloth("1") else "not installed"
    except ArteError as e: out["unsloth"] = str(e)
    return out

def fmt(x, nd=3):
    if x is None: return "-"
    return f"{x:.{nd}f}" if isinstance(x, float) else str(x)

def markdown(res:dict)->list[str]:
    md = [f"# GPU check{' (dry run: toy sizes on the CPU)' if res['dry_run'] else ''}", "",
          f"{res['device_name']}; model: Llama, {res['params']:,} parameters ({res['shape']['num_hidden_layers']} layers, "
          f"hidden {res['shape']['hidden_size']}, vocabulary {res['shape']['vocab_size']}), random weights; "
          f"batch {res['sizes']['batch']}, {res['sizes']['max_length']} tokens, LoRA r 16. Total {res['total_s']} s.", "",
          f"Command: `{res['command']}`", "", "## Training (mean step time after warm-up, peak VRAM)", "",
          "| arm | SFT s/step | SFT peak MB | DPO s/step | DPO peak MB | note |", "|---|---|---|---|---|---|"]
    for arm, r in res["train"].items():
        if "error" in r or "skipped" in r:
            md.append(f"| {arm} | - | - | - | - | {r.get('skipped') or 'failed: ' + r['error'].strip().splitlines()[-1][:120]} |"); continue
        md.append(f"| {arm} | {fmt(r['sft']['step_s'])} | {fmt(r['sft']['peak_vram_mb'])} | {fmt(r['dpo']['step_s'])} | "
                  f"{fmt(r['dpo']['peak_vram_mb'])} | {r.get('versions', {}).get('unsloth') and 'unsloth ' + r['versions']['unsloth'] or ''} |")
    base = res["train"].get("trl-16bit", {})
    for arm in ("unsloth-16bit", "trl-4bit"):
        r = res["train"].get(arm, {})
        if "sft" in r and "sft" in base:
            md.append(f"| {arm} / trl-16bit | {r['sft']['step_s'] / base['sft']['step_s']:.2f}x | "
                      f"{fmt((r['sft']['peak_vram_mb'] or 0) / max(base['sft']['peak_vram_mb'] or 1, 1), 2)}x | "
                      f"{r['dpo']['step_s'] / base['dpo']['step_s']:.2f}x | {fmt((r['dpo']['peak_vram_mb'] or 0) / max(base['dpo']['peak_vram_mb'] or 1, 1), 2)}x | ratio |")
    md += ["", "## Loading for generation", "", "| weights | load s | VRAM after load MB | greedy tokens/s (batch) | note |", "|---|---|---|---|---|"]
    for arm, r in res["generate"].items():
        if "error" in r or "skipped" in r:
            md.append(f"| {arm} | - | - | - | {r.get('skipped') or 'failed: ' + r['error'].strip().splitlines()[-1][:120]} |"); continue
        md.append(f"| {arm} | {fmt(r['load_s'], 2)} | {fmt(r['vram_after_load_mb'])} | {fmt(r['tokens_per_s'], 1)} | {r['dtype']} |")
    sc = res["score"]
    md += ["", "## Scoring: one-shot prompts, greedy", ""]
    if "error" in sc: md.append(f"failed: {sc['error'].strip().splitlines()[-1][:200]}")
    else:
        md += [f"{sc['engine']['prompts']} prompts of {sc['prompt_tokens_mean']} tokens on average, {res['sizes']['score_tokens']} new tokens each. "
               f"Same text as batched: engine {sc['same_text_engine_vs_batched']:.0%}, naive {sc['same_text_naive_vs_batched']:.0%}.", "",
               "| method | prompts | seconds | s/prompt | vs engine |", "|---|---|---|---|---|"]
        for m in ("engine", "batched", "naive"):
            r = sc[m]
            md.append(f"| {m} | {r['prompts']} | {fmt(r['seconds'])} | {fmt(r['per_prompt_s'], 5)} | {r['per_prompt_s'] / sc['engine']['per_prompt_s']:.1f}x |")
    return md

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="toy sizes on the CPU (the setup and every arm that can run there)")
    ap.add_argument("--out", default=None, help="results folder (default: bench/results, or a temp folder with --dry-run)")
    ap.add_argument("--only", default="", help="comma-separated arms to run: train,generate,score (default all)")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        c = json.loads(a.worker); sys.path.insert(0, str(ROOT))
        if c["device"] == "cpu": import torch; torch.set_num_threads(1)
        try: r = WORKERS[c["kind"]](c)
        except Exception as e: r = dict(error=f"{type(e).__name__}: {e}\n{traceback.format_exc()[-2500:]}")
        print("RESULT " + json.dumps(r)); return 0
    import torch
    cuda = torch.cuda.is_available()
    if not cuda and not a.dry_run:
        sys.exit("gpu_check.py needs a CUDA GPU (torch.cuda.is_available() is False): nothing was run. "
                 "`--dry-run` runs the setup on this CPU at toy sizes.")
    dev = "cuda" if cuda and not a.dry_run else "cpu"
    shape, sizes = (TOY_MODEL, TOY_SIZES) if a.dry_run else (GPU_MODEL, GPU_SIZES)
    only = set(filter(None, a.only.split(","))) or {"train", "generate", "score"}
    out = Path(a.out) if a.out else (Path(tempfile.mkdtemp(prefix="gpu-check-")) if a.dry_run else ROOT/"bench"/"results")
    tmp = Path(tempfile.mkdtemp(prefix="gpu-check-model-"))
    T0 = time.time()
    try:
        t = time.time(); params = build_model(tmp/"model", shape, dev); build_s = round(time.time() - t, 1)
        print(f"model: {params:,} parameters, built in {build_s}s on {dev}", flush=True)
        base = dict(device=dev, sizes=sizes, model=str(tmp/"model"), tmp=str(tmp))
        no = refusals() if dev == "cpu" else {}
        import importlib.util
        has_unsloth = importlib.util.find_spec("unsloth") is not None
        res = dict(dry_run=a.dry_run, device=dev, device_name=torch.cuda.get_device_name(0) if dev == "cuda" else platform.processor() or "CPU",
                   shape=shape, sizes=sizes, params=params, build_s=build_s, train={}, generate={}, score={}, refusals=no,
                   command="python " + " ".join(["bench/gpu_check.py", *(argv if argv is not None else sys.argv[1:])]))
        limit = 600 if dev == "cuda" else 900
        if "train" in only:
            for arm, backend, q in (("trl-16bit", "trl", None), ("unsloth-16bit", "unsloth", None), ("trl-4bit", "trl", "4bit")):
                if dev == "cpu" and q: r = dict(skipped=f"needs CUDA; refused with: {no['4bit']}")
                elif backend == "unsloth" and dev == "cpu": r = dict(skipped="Unsloth is a GPU arm (its CPU fallback is tested by .ci/unsloth.sh)")
                elif backend == "unsloth" and not has_unsloth: r = dict(skipped="unsloth is not installed (see the docstring: wheels)")
                else: r = run_worker(dict(base, kind="train", backend=backend, quantization=q), limit)
                res["train"][arm] = r; print(arm, json.dumps(r)[:400], flush=True)
        if "generate" in only:
            for arm, q in (("16bit", None), ("4bit", "4bit")):
                r = dict(skipped=f"needs CUDA; refused with: {no['4bit']}") if dev == "cpu" and q else \
                    run_worker(dict(base, kind="generate", quantization=q), limit)
                res["generate"][arm] = r; print("generate", arm, json.dumps(r)[:400], flush=True)
        if "score" in only:
            res["score"] = run_worker(dict(base, kind="score"), limit); print("score", json.dumps(res["score"])[:600], flush=True)
    finally: shutil.rmtree(tmp, ignore_errors=True)
    res["total_s"] = round(time.time() - T0, 1)
    failed = [f"{g}/{k}" for g in ("train", "generate") for k, r in res[g].items() if "error" in r] + (["score"] if "error" in res["score"] else [])
    if dev == "cpu" and not (no.get("4bit") and "CUDA" in no["4bit"]): failed.append("4-bit is not refused with a clear error on the CPU")
    res["failed"] = failed
    out.mkdir(parents=True, exist_ok=True)
    (out/"gpu_check.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    text = "\n".join(markdown(res)) + "\n"
    (out/"gpu_check.md").write_text(text); print(text)
    print(f"results: {out/'gpu_check.json'}, {out/'gpu_check.md'}")
    if failed: print("FAILED arms: " + ", ".join(failed)); return 1
    print("PASS: gpu_check" + (" --dry-run" if a.dry_run else "")); return 0

if __name__ == "__main__": sys.exit(main())
