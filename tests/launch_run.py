"""`arte run` with `launcher = "accelerate"` on 2 CPU processes (gloo): DPO and SFT trained data-parallel inside a run,
then a launch that fails half-way through `distill` and the rerun that resumes it.

    python tests/launch_run.py [--work DIR]

The run is the `tiny` preset on a generated arithmetic task, with the tiny test model's real weights behind scripted
generation (as in the happy-path test of `arte.pipeline`): the scripted teacher writes parseable drafts and the scripted
student prefers careful rationales, so pairs, DPO, tailored data and SFT all do real work. The accelerate config asks
for 2 processes (`distributed_type: MULTI_GPU` selects accelerate's multi-process launcher; without CUDA each
process trains on the CPU, accelerate reports the setup as MULTI_CPU, and torch.distributed uses gloo). Checks:

1. the whole run finishes; `align` and `distill` were trained by `accelerate launch` with world size 2 (their
   `engine`, and every run of the launched jobs' results); the adapters and `metrics.json` exist; the report's stage
   table names the launch;
2. with `ARTE_LAUNCH_FAIL=distill` (the distill job fails after its first student saved its adapter) and the distill
   and evaluate stages unfinished, the rerun fails with an error naming the stage and the launch log, and keeps
   every finished stage;
3. the same command again resumes: only `distill` and `evaluate` run, and the evaluation rows equal the first run's.

Prints one PASS line per check, with timings.
"""
import os, re, sys, json, time, shutil, random, argparse, itertools, tempfile
os.environ.setdefault("OMP_NUM_THREADS", "1"); os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
from pathlib import Path
from arte.core import ArteError, cut_at_stop, load_json
from arte.models import HFLM
from arte.testing import tiny_lm
from arte.prompts import strategy_prompt, strategy_names
from arte.tasks import load_task
from arte.config import check_config
from arte.launch import FAIL_VAR
from arte.pipeline import run_arte

def value(expr:str)->int: return int(eval(expr.strip().rstrip("=").strip(), {"__builtins__": {}}))

class ScriptedTiny(HFLM):
    "The tiny model's weights (which train) behind scripted generation: parseable drafts, demonstration-sensitive answers."
    def __init__(self, task):
        model, tok = tiny_lm(); super().__init__(model, tok, name="arte:tiny")
        self.counter, self.first = itertools.count(), strategy_prompt(task, strategy_names(task)[0], "")[0]["content"]
    def generate(self, prompts, n=1, temperature=0.0, top_p=1.0, max_new_tokens=256, stop=None, seed=None):
        return [[cut_at_stop(self.reply(p), stop) for _ in range(n)] for p in prompts]
    def reply(self, p)->str:
        if isinstance(p, str):  # the student: right after a careful demonstration, else one off
            q = p.rsplit("Question: ", 1)[1].split("\nAnswer")[0]
            return f" It is <ans>{value(q) + (0 if 'carefully' in p else 1)}</ans>"
        user = next(m["content"] for m in p if m["role"] == "user")
        if "more questions" in user:
            k, first = int(re.search(r"generate (\d+) more", user)[1]), int(re.search(r"<Question_(\d+)>", p[-1]["content"])[1])
            qs = [(i := next(self.counter), f"(({100 + 37 * i} + {11 * i + 3}) * {i % 7 + 2}) =") for _ in range(k)]
            return "".join(f"<Question_{first + j}><input>{q}</input><target>{value(q)}</target></Question_{first + j}>"
                           for j, (_, q) in enumerate(qs))
        q = user.split("Question: ", 1)[1].split("\nAnswer")[0]
        system = p[0]["content"] if p[0]["role"] == "system" else ""
        careful = system in ("", self.first) or value(q) % 2 == 0
        return f" {'Work it out carefully' if careful else 'Guess'}: {q} {value(q)}. <ans>{value(q)}</ans>"

TWO_CPU = """compute_environment: LOCAL_MACHINE
distributed_type: MULTI_GPU
num_machines: 1
machine_rank: 0
num_processes: 2
gpu_ids: all
mixed_precision: 'no'
rdzv_backend: static
same_network: true
use_cpu: false
"""

def main():
    ap = argparse.ArgumentParser(); ap.add_argument("--work", default=None); a = ap.parse_args()
    work = Path(a.work or tempfile.mkdtemp()); work.mkdir(parents=True, exist_ok=True)
    (work/"two_cpu.yaml").write_text(TWO_CPU)
    task = load_task("gen:multistep_arithmetic", pool_size=16)
    cfg = check_config(dict(teacher="arte:tiny", student="arte:tiny", tasks=["gen:multistep_arithmetic"], seed=0, rounds=1, preset="tiny",
                            n_test=8, baselines=["vanilla", "original_teacher"], launcher="accelerate",
                            accelerate_config=str(work/"two_cpu.yaml"),
                            launch_args=["--main_process_port", str(20000 + random.Random(os.getpid()).randrange(20000))]))
    out = work/"run"
    given = lambda: {"arte:tiny": ScriptedTiny(task)}
    st = lambda name: load_json(out/"round-1"/name/"_stage.json")["summary"]
    res = lambda name: load_json(out/"round-1"/name/"launch"/"result.json")

    # 1. the whole run, training under accelerate launch with 2 processes
    t0 = time.time(); m1 = run_arte(cfg, out, quiet=True, models=given()); t1 = time.time() - t0
    align, distill = st("align"), st("distill")
    for name, s in (("align", align), ("distill", distill)):
        r = res(name)
        print(f"ok {name}: engine '{s['engine']}', world size per run {[x['world_size'] for x in r['runs'].values()]}, "
              f"steps {[x['steps'] for x in r['runs'].values()]}")
        assert s["engine"].startswith("accelerate launch, 2 processes (MULTI_CPU, gloo"), s["engine"]
        assert r["processes"] == 2 and all(x["world_size"] == 2 and x["steps"] >= 1 for x in r["runs"].values()), r
    assert align["aligned"] and align["steps"] >= 1 and set(distill["students"]) == {"arte", "original_teacher"}, (align, distill)
    for f in ["align/adapter", "distill/arte", "distill/original_teacher"]:
        assert (out/"round-1"/f/"adapter_model.safetensors").exists() and (out/"round-1"/f.split("/")[0]/"launch"/"launch.log").exists(), f
    assert (out/"metrics.json").exists() and {r["method"] for r in m1["eval"]} == {"vanilla", "original_teacher", "arte"}, m1["eval"]
    assert "accelerate launch, 2 processes" in (out/"report.md").read_text()
    secs = {s["name"]: s["seconds"] for s in m1["stages"]}
    print(f"PASS: arte run trained align and distill under accelerate launch, 2 CPU processes (gloo) in {t1:.0f}s "
          f"(align {secs['align']}s, distill {secs['distill']}s)")

    # 2. distill crashes half-way (after its first student's adapter), evaluate never ran
    (out/"round-1"/"distill"/"_stage.json").unlink(); shutil.rmtree(out/"round-1"/"evaluate")
    os.environ[FAIL_VAR] = "distill"
    t0 = time.time()
    try: run_arte(cfg, out, quiet=True, models=given()); msg = None
    except ArteError as e: msg = str(e)
    finally: del os.environ[FAIL_VAR]
    assert msg and "distill (round 1): `accelerate launch` failed" in msg and "launch.log" in msg and "as a test asked" in msg, msg
    assert not (out/"round-1"/"distill"/"_stage.json").exists() and (out/"round-1"/"align"/"_stage.json").exists()
    print(f"PASS: a failed launch stops the run naming the stage and its log ({time.time() - t0:.0f}s): {msg.split(';')[0]}")

    # 3. the same command resumes: only distill (and the evaluate it feeds) run, with the first run's results
    t0 = time.time(); m3 = run_arte(cfg, out, quiet=True, models=given())
    ran = [s["name"] for s in m3["stages"] if not s["skipped"]]
    assert ran == ["distill", "evaluate"], ran
    assert m3["eval"] == m1["eval"], (m3["eval"], m1["eval"])
    assert st("distill")["students"] == distill["students"], (st("distill"), distill)
    print(f"PASS: the rerun resumed at distill ({time.time() - t0:.0f}s; reran {ran}); evaluation equal to the first run's "
          f"({len(m3['eval'])} rows)")

if __name__ == "__main__": main()
