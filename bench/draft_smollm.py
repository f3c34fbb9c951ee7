"""Draft with the embedded SmolLM2-135M-Instruct as teacher (CPU): how much of its output parses and survives validation.
Usage: OMP_NUM_THREADS=1 python bench/draft_smollm.py [m] [task]"""
import sys, time, json
from pathlib import Path
from arte.core import save_json, atomic_write
from arte.models import load_model
from arte.tasks import load_task
from arte.draft import draft

m = int(sys.argv[1]) if len(sys.argv) > 1 else 10
src = sys.argv[2] if len(sys.argv) > 2 else "gen:boolean_expressions"
t0 = time.time()
lm = load_model("arte:smollm2-135m")
task = load_task(src, seed=0, pool_size=100, n_test=250)
res = draft(lm, task, m=m, question_max_new_tokens=400, rationale_max_new_tokens=200, progress=False)
rep = dict(res.report, total_seconds=round(time.time() - t0, 1), teacher="arte:smollm2-135m", source=src)
print(res); print(json.dumps(rep, indent=1))
ex = res.ds.select(range(min(4, len(res.ds)))).to_list()
out = Path(__file__).parent/"results"
save_json(out/"draft_smollm.json", dict(report=rep, examples=ex))
atomic_write(out/"draft_smollm.md", f"# draft with SmolLM2-135M (CPU)\n\n`{res!r}`\n\n```json\n{json.dumps(rep, indent=1)}\n```\n\n"
             + "\n\n".join(f"**{e['strategy']}** Q: {e['question']} (target {e['target']})\n\n> {e['rationale']}" for e in ex) + "\n")
