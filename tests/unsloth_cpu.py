"""Exercise the Unsloth branch of `arte.train` (through `arte.align.align_teacher` and `arte.distill.distill_student`) on the CPU.

Run it in the separate Unsloth venv (`.ci/unsloth.sh` builds it): Unsloth pins transformers<=5.17, trl<=1.15 and
datasets<5, which must not downgrade the main environment. With `ARTE_USE_UNSLOTH=1` both functions load the tiny
test model through `unsloth.FastLanguageModel`, add the adapter with `FastLanguageModel.get_peft_model`, and train a
few steps with TRL. The check asserts that they ran through Unsloth, produced adapters that reload, raised the DPO
margin / lowered the SFT loss, and masked the prompt out of the SFT labels. Prints one line per check and PASS/FAIL.

    ARTE_USE_UNSLOTH=1 OMP_NUM_THREADS=1 .venv-unsloth/bin/python tests/unsloth_cpu.py [--out bench/results/unsloth_cpu.json]
    OMP_NUM_THREADS=1 .venv-unsloth/bin/python tests/unsloth_cpu.py --plain

`--plain` runs the same checks without Unsloth (not imported, `use_unsloth=False`): plain TRL + PEFT with the trl
that Unsloth pins. trl 1.15's trainers need Triton on every device; `arte.train.cpu_safe_trl` routes them through
plain torch on the CPU, and this mode checks that it is in place and that DPO and SFT train.

Not collected by pytest (no test_ prefix): it must not run in the main venv.
"""
import os, sys, time, json, tempfile, argparse
PLAIN = "--plain" in sys.argv
os.environ["ARTE_USE_UNSLOTH"] = "0" if PLAIN else os.environ.get("ARTE_USE_UNSLOTH", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
T0 = time.time()
if not PLAIN: import unsloth  # noqa: F401  -- must come before transformers/trl/peft (arte.testing builds the tiny model with transformers)
T_IMPORT = time.time() - T0
from pathlib import Path
from types import SimpleNamespace
import torch
from arte.core import rng, env_info
from arte.testing import tiny_lm_path
from arte.align import align_teacher, dpo_config, logp_margins
from arte.distill import distill_student, sft_config, sft_rows, completion_loss, check_completion_mask

results, failed = {}, []
def check(name, ok, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + str(detail) if detail != '' else ''}", flush=True)
    results[name] = {"ok": bool(ok), "detail": detail if isinstance(detail, (int, float, str)) else str(detail)}
    if not ok: failed.append(name)

def ran_through_unsloth(res):
    "The run used the Unsloth branch and the model carries Unsloth's patches (in --plain mode: neither)."
    if PLAIN: return not res.unsloth and "unsloth" not in sys.modules, "plain TRL + PEFT"
    base = res.model.get_base_model() if hasattr(res.model, "get_base_model") else res.model
    marks = [a for a in dir(base) if "unsloth" in a.lower()] + (["max_seq_length"] if hasattr(base, "max_seq_length") else [])
    return res.unsloth and bool(marks), marks

def main(out=None):
    path = str(tiny_lm_path())
    if PLAIN:
        import trl
        from packaging.version import Version
        from arte.train import cpu_safe_trl
        check("trl below 1.16 gets the plain-torch log-probs on the CPU", cpu_safe_trl() == (Version(trl.__version__) < Version("1.16")),
              trl.__version__)
    work = Path(tempfile.mkdtemp(prefix="arte-unsloth-"))
    # -- teacher DPO through Unsloth
    pairs = [{"prompt": [{"role": "user", "content": f"Is {x} true or false?"}],
              "chosen": [{"role": "assistant", "content": "It is <ans>True</ans>"}],
              "rejected": [{"role": "assistant", "content": "It is <ans>False</ans>"}]}
             for x in ["not False", "True", "True or False", "not not True", "True and True", "False or True", "not ( False )", "( True )"]]
    t = time.time()
    a = align_teacher(path, None, pairs, work/"teacher", preset="cpu", quiet=True,
                      args=dpo_config("cpu", work/"teacher", learning_rate=1e-2, max_steps=4, seed=0))
    results["align_seconds"] = round(time.time() - t, 2)
    ok, marks = ran_through_unsloth(a); check("align ran " + ("without" if PLAIN else "through") + " unsloth", ok, marks)
    check("align adapter saved", all((work/"teacher"/f).exists() for f in ("adapter_config.json", "adapter_model.safetensors", "log_history.json", "training_curves.png")))
    after = logp_margins(a.model, a.tok, pairs)
    with a.model.disable_adapter(): before = logp_margins(a.model, a.tok, pairs)
    check("align raised the chosen-rejected log-prob margin", min(x - y for x, y in zip(after, before)) > 0,
          f"mean {sum(before)/len(before):.3f} -> {sum(after)/len(after):.3f}")
    from transformers import AutoModelForCausalLM
    from peft import PeftModel
    re = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32), str(work/"teacher"))
    check("align adapter reloads with plain PEFT", max(abs(x - y) for x, y in zip(logp_margins(re, a.tok, pairs), after)) < 1e-3)
    # -- student SFT through Unsloth
    task = SimpleNamespace(name="multistep_arithmetic", description="Solve multi-step arithmetic problems.",
                           answer_hint="an integer", strategies=None, seeds=[{"input": "1 + 2 =", "target": "3"}])
    r0 = rng(0, "sft-fixture"); xs = [(r0.randint(1, 9), r0.randint(1, 9)) for _ in range(8)]
    tailored = [dict(task=task.name, qid=f"q{i}", question=f"{x} + {y} =", rationale=f"{x} plus {y} makes {x + y}.",
                     target=str(x + y)) for i, (x, y) in enumerate(xs)]
    rows = sft_rows(tailored, task)
    t = time.time()
    s = distill_student(path, None, tailored, work/"student", tasks=task, preset="cpu", quiet=True,
                        args=sft_config("cpu", work/"student", learning_rate=1e-2, max_steps=4, seed=0))
    results["distill_seconds"] = round(time.time() - t, 2)
    ok, marks = ran_through_unsloth(s); check("distill ran " + ("without" if PLAIN else "through") + " unsloth", ok, marks)
    check("distill adapter saved", all((work/"student"/f).exists() for f in ("adapter_config.json", "adapter_model.safetensors", "log_history.json", "training_curves.png")))
    l1 = completion_loss(s.model, s.tok, rows)
    with s.model.disable_adapter(): l0 = completion_loss(s.model, s.tok, rows)
    check("distill lowered the completion loss", l1 < l0, f"{l0:.3f} -> {l1:.3f}")
    try: check("distill labels mask the prompt", check_completion_mask(s.trainer) > 0)
    except AssertionError as e: check("distill labels mask the prompt", False, e)
    from arte.config import check_config
    from arte.core import ArteError
    try: check_config({"teacher": "arte:tiny", "student": "arte:tiny", "tasks": ["gen:boolean_expressions"], "seed": 0, "rounds": 1,
                       "preset": "tiny", "quantization": "4bit"}); msg = "accepted"
    except ArteError as e: msg = str(e)
    check("quantization is refused at config time without CUDA (bitsandbytes installed)", "needs a CUDA GPU" in msg, msg[:90])
    import transformers, trl, peft
    results["versions"] = {k: v for k, v in env_info().items() if v}
    results["import_unsloth_seconds"] = round(T_IMPORT, 2); results["total_seconds"] = round(time.time() - T0, 2)
    results["status"] = "PASS" if not failed else "FAIL"
    print(f"unsloth {results['versions'].get('unsloth')} | transformers {transformers.__version__} | trl {trl.__version__} | "
          f"peft {peft.__version__} | torch {torch.__version__} | cuda {torch.cuda.is_available()}")
    print(f"timings: import unsloth {T_IMPORT:.1f}s, align {results['align_seconds']}s, distill {results['distill_seconds']}s, total {results['total_seconds']}s")
    if out: Path(out).parent.mkdir(parents=True, exist_ok=True); Path(out).write_text(json.dumps(results, indent=2) + "\n")
    print("PASS" if not failed else f"FAIL: {failed}")
    return not failed

if __name__ == "__main__":
    ap = argparse.ArgumentParser(); ap.add_argument("--out", default=None); ap.add_argument("--plain", action="store_true")
    sys.exit(0 if main(ap.parse_args().out) else 1)
