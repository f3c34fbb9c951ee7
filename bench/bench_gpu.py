"""GPU only: Unsloth vs plain TRL (transformers + peft) for DPO and SFT step time and peak VRAM.

    python bench/bench_gpu.py [--model Qwen/Qwen2.5-1.5B-Instruct] [--steps 20] [--quick] [--backend both|unsloth|trl]

Each (backend, trainer) runs in a fresh subprocess, because `import unsloth` patches transformers/trl globally and must
come first. Both use LoRA r=16 on the attention and MLP projections, bf16, the same synthetic data (TRL
conversational format) and the same batch and length; the first 3 steps are warm-up and excluded from the step time.
Peak VRAM is `torch.cuda.max_memory_allocated()`. Needs a CUDA GPU and the `unsloth` extra; the plain-TRL arm
needs only the core dependencies. Writes bench/results/bench_gpu.{json,md}.
"""
import argparse, json, os, subprocess, sys, time
sys.path.insert(0, os.path.dirname(__file__))

WORKER = r'''
import json, os, sys, time
cfg = json.loads(sys.argv[1])
if cfg["backend"] == "unsloth":
    import unsloth  # must precede transformers/trl/peft
    from unsloth import FastLanguageModel
import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer
from peft import LoraConfig
targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
L, r = cfg["max_length"], cfg["lora_r"]
if cfg["backend"] == "unsloth":
    model, tok = FastLanguageModel.from_pretrained(model_name=cfg["model"], max_seq_length=L, dtype=torch.bfloat16, load_in_4bit=False)
    model = FastLanguageModel.get_peft_model(model, r=r, lora_alpha=2 * r, lora_dropout=0, target_modules=targets,
                                             use_gradient_checkpointing="unsloth", random_state=0)
    peft_cfg = None
else:
    tok = AutoTokenizer.from_pretrained(cfg["model"])
    model = AutoModelForCausalLM.from_pretrained(cfg["model"], dtype=torch.bfloat16).to("cuda")
    peft_cfg = LoraConfig(r=r, lora_alpha=2 * r, lora_dropout=0.0, target_modules=targets, task_type="CAUSAL_LM")
if tok.pad_token is None: tok.pad_token = tok.eos_token
n = cfg["steps"] * cfg["batch"]
filler = " ".join(["step"] * (L // 4))
q = lambda i: [{"role": "user", "content": f"Question {i}: what is {i} + {i}? Think step by step."}]
a = lambda i, ok: [{"role": "assistant", "content": f"{filler} so {i} + {i} = {2 * i if ok else 2 * i + 1}. <ans>{2 * i if ok else 2 * i + 1}</ans>"}]
times = []
class T(TrainerCallback):
    def on_step_begin(self, *x, **k): torch.cuda.synchronize(); self.t = time.perf_counter()
    def on_step_end(self, *x, **k): torch.cuda.synchronize(); times.append(time.perf_counter() - self.t)
common = dict(output_dir="/tmp/bench_gpu_" + cfg["backend"], max_steps=cfg["steps"], per_device_train_batch_size=cfg["batch"],
              learning_rate=1e-5, max_length=L, logging_steps=1000, save_strategy="no", report_to="none", bf16=True,
              gradient_checkpointing=True)
torch.cuda.reset_peak_memory_stats()
if cfg["trainer"] == "dpo":
    ds = Dataset.from_list([{"prompt": q(i), "chosen": a(i, True), "rejected": a(i, False)} for i in range(n)])
    tr = DPOTrainer(model=model, args=DPOConfig(beta=0.1, **common), train_dataset=ds, processing_class=tok, peft_config=peft_cfg, callbacks=[T()])
else:
    ds = Dataset.from_list([{"prompt": q(i), "completion": a(i, True)} for i in range(n)])
    tr = SFTTrainer(model=model, args=SFTConfig(**common), train_dataset=ds, processing_class=tok, peft_config=peft_cfg, callbacks=[T()])
tr.train()
w = times[3:] or times
print("RESULT " + json.dumps(dict(step_s=sum(w) / len(w), steps=len(times), peak_vram_mb=torch.cuda.max_memory_allocated() / 2**20,
                                  gpu=torch.cuda.get_device_name(0), torch=torch.__version__)))
'''

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="Qwen/Qwen2.5-1.5B-Instruct")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--max-length", type=int, default=512)
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--backend", default="both", choices=["both", "unsloth", "trl"])
    p.add_argument("--quick", action="store_true", help="8 steps, max_length 256")
    a = p.parse_args()
    if a.quick: a.steps, a.max_length = 8, 256
    import torch
    if not torch.cuda.is_available():
        sys.exit("bench_gpu.py needs a CUDA GPU (torch.cuda.is_available() is False here); nothing was run. "
                 "Run it on a GPU machine with `pip install -e '.[unsloth]'` for the Unsloth arm.")
    from _bench_common import command, save
    import importlib.util
    backends = ["unsloth", "trl"] if a.backend == "both" else [a.backend]
    if "unsloth" in backends and importlib.util.find_spec("unsloth") is None:
        print("unsloth is not installed: running only the plain TRL arm", file=sys.stderr); backends.remove("unsloth")
    rows = []
    for b in backends:
        for t in ("sft", "dpo"):
            cfg = dict(backend=b, trainer=t, model=a.model, steps=a.steps, batch=a.batch, max_length=a.max_length, lora_r=a.lora_r)
            t0 = time.time()
            pr = subprocess.run([sys.executable, "-c", WORKER, json.dumps(cfg)], capture_output=True, text=True)
            line = next((l for l in pr.stdout.splitlines() if l.startswith("RESULT ")), None)
            row = dict(backend=b, trainer=t, wall_s=round(time.time() - t0, 1))
            if line: row.update(json.loads(line[7:]))
            else: row["error"] = (pr.stderr or pr.stdout)[-2000:]
            rows.append(row); print(row, flush=True)
    md = ["# Unsloth vs plain TRL on GPU: step time and peak VRAM", "",
          f"{a.model}, LoRA r={a.lora_r} (attention + MLP), bf16, batch {a.batch}, max_length {a.max_length}, {a.steps} steps "
          "(first 3 excluded), gradient checkpointing.", "", f"Command: `{command()}`", "",
          "| backend | trainer | s/step | peak VRAM MB | GPU | note |", "|---|---|---|---|---|---|"]
    for r in rows:
        md.append(f"| {r['backend']} | {r['trainer']} | {r.get('step_s', float('nan')):.3f} | {r.get('peak_vram_mb', float('nan')):.0f} | "
                  f"{r.get('gpu', '-')} | {'failed: see json' if 'error' in r else ''} |")
    save("bench_gpu", dict(config=vars(a), command=command(), runs=rows), md)

if __name__ == "__main__": main()
