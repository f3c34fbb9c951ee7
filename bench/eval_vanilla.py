"""Vanilla student accuracy (0/3-shot, bootstrap CIs) with arte.evaluate: the reference point for the baselines table.

Usage: OMP_NUM_THREADS=1 python bench/eval_vanilla.py [n_items] [max_new_tokens]
Reads BBH from ../shared/data (never copied into the repo). Writes bench/results/eval_vanilla.{json,md}."""
import sys, time, json, torch
from pathlib import Path
from arte.core import save_json, env_info
from arte.models import load_model
from arte.tasks import load_task
from arte.evaluate import evaluate, metric_rows, results_table

torch.set_num_threads(1)
n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
mnt = int(sys.argv[2]) if len(sys.argv) > 2 else 160
bbh = Path(__file__).resolve().parents[2]/"shared"/"data"/"bbh"/"bbh"
sources = ["gen:boolean_expressions", str(bbh/"boolean_expressions.json"), str(bbh/"hyperbaton.json")]
lm = load_model("arte:smollm2-135m")
rows, out = [], Path(__file__).parent/"results"
for src in sources:
    t = load_task(src, seed=0)
    t0 = time.time()
    if src.startswith("gen:"): t.name = "gen_" + t.name  # keep it apart from the BBH task of the same name
    rs = evaluate(lm, t, shots=(0, 3), n=n, max_new_tokens=mnt, seed=0)
    for r in rs: r["seconds"] = round(time.time() - t0, 1)
    rows += rs
    print(t.name, [(r["shots"], round(r["accuracy"], 3), [round(x, 3) for x in r["ci"]], r["parse_rate"]) for r in rs], f"{time.time() - t0:.0f} s", flush=True)
examples = {f"{r['task']} {r['shots']}-shot": r["items"][:2] for r in rows}
save_json(out/"eval_vanilla.json", {"student": "arte:smollm2-135m", "n": n, "max_new_tokens": mnt, "rows": metric_rows(rows),
                                    "examples": examples, "env": env_info()})
(out/"eval_vanilla.md").write_text(f"# Vanilla SmolLM2-135M-Instruct, {n} items per task, greedy, max_new_tokens={mnt}\n\n"
                                   + results_table(rows) + "\nParse rates: " +
                                   ", ".join(f"{r['task']} {r['shots']}-shot {r['parse_rate']:.2f}" for r in rows) + "\n")
print(results_table(rows))
