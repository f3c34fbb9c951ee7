"""DPO and SFT under `accelerate launch` with 2 CPU processes (gloo), unchanged arte code, on the tiny test model.

    accelerate launch --multi_gpu --num_processes 2 --num_machines 1 --mixed_precision no --dynamo_backend no tests/multiproc.py

(`--multi_gpu` selects accelerate's multi-process launcher (torchrun); without CUDA each process trains on the CPU and
torch.distributed uses gloo. `--cpu` would select the single-process launcher.)

Each process builds the same deterministic tiny model (arte.testing), trains through `arte.align.align_teacher` and
`arte.distill.distill_student` (with `device` and `dtype` passed through, as a config does), and the check asserts
that training really ran data-parallel (world size 2, the trainer's global batch = 2 x per-device batch), that each
run took its 3 steps and moved the adapter off zero, that both processes end with identical adapter weights (DDP
keeps replicas in sync), and that the main process saved the adapters. Prints PASS/FAIL on the main process.
"""
import os, sys, tempfile, hashlib
os.environ.setdefault("OMP_NUM_THREADS", "1"); os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
import torch
from accelerate import PartialState
from arte.testing import build_tiny_lm
from arte.align import align_teacher, dpo_config
from arte.distill import distill_student, sft_config

state = PartialState()
out = os.environ.get("ARTE_MP_OUT") or "/tmp/arte-multiproc"
def digest(model):
    h = hashlib.sha256()
    for n, p in sorted(model.named_parameters()):
        if "lora" in n: h.update(p.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]

pairs = [{"prompt": [{"role": "user", "content": f"Is {x} true?"}], "chosen": [{"role": "assistant", "content": "<ans>True</ans>"}],
          "rejected": [{"role": "assistant", "content": "<ans>False</ans>"}]}
         for x in ["not False", "True", "True or False", "not not True", "True and True", "False or True", "not ( False )", "( True )"]]
# transformers saves only on the main process under a distributed launch, so the main process builds the model once
if state.is_main_process: build_tiny_lm(f"{out}/tiny")
state.wait_for_everyone()
path = f"{out}/tiny"
cfg = dict(learning_rate=1e-2, max_steps=3, per_device_train_batch_size=2, seed=0, save_strategy="no")
a = align_teacher(path, None, pairs, f"{out}/teacher", quiet=True, device="cpu", dtype="float32",
                  args=dpo_config("cpu", f"{out}/teacher-trainer", **cfg))
rows = [{"prompt": f"Question: {x}\nAnswer: Let's think step by step.", "completion": " It is true. <ans>True</ans>"} for x in "abcdefgh"]
s = distill_student(path, None, rows, f"{out}/student", quiet=True, device="cpu", dtype="float32",
                    args=sft_config("cpu", f"{out}/student-trainer", **cfg))
world = a.trainer.args.world_size
moved = lambda m: all(p.abs().sum() > 0 for n, p in m.named_parameters() if "lora_B" in n)  # LoRA's B starts at zero
trained = (a.steps, s.steps, moved(a.model), moved(s.model))
d_a, d_s = digest(a.model), digest(s.model)
gathered = [None] * state.num_processes
torch.distributed.all_gather_object(gathered, (state.process_index, world, d_a, d_s, trained))
if state.is_main_process:
    ok = (state.num_processes == 2 and all(g[1] == 2 for g in gathered) and all(g[4] == (3, 3, True, True) for g in gathered)
          and len({g[2] for g in gathered}) == 1 and len({g[3] for g in gathered}) == 1
          and os.path.exists(f"{out}/teacher/adapter_model.safetensors") and os.path.exists(f"{out}/student/adapter_model.safetensors"))
    for g in gathered:
        print(f"process {g[0]}: world size {g[1]}, steps (DPO, SFT) {g[4][:2]}, adapters moved {g[4][2:]}, "
              f"teacher adapter {g[2]}, student adapter {g[3]}")
    print(f"backend {state.backend}, global DPO batch {a.trainer.args.per_device_train_batch_size * world}")
    print("PASS: DPO and SFT ran data-parallel on 2 CPU processes" if ok else "FAIL: multi-process training")
    sys.exit(0 if ok else 1)
