"""Check `arte.tasks` on every BBH task: loading, splits, and answer parsing.

For every example of every task, the gold target written as a model would write it must parse back to an
answer that `is_correct` accepts, and that it rejects for another example's different target. Three ways of
writing it: BBH's sentence ("... So the answer is X."), the paper's tag (<ans>X</ans>), and the sentence in
lower case. The CoT exemplars' full answers (rationale + "So the answer is X.") must parse to their targets.

    python bench/check_bbh.py --data BIG-Bench-Hard/bbh    # BBH's folder of task JSON files (not shipped with arte)

Writes bench/results/check_bbh.{json,md}.
"""
import argparse, json, sys, time
from pathlib import Path
from arte.core import save_json, atomic_write
from arte.tasks import load_task, find_cot_file, _ikey

HERE = Path(__file__).resolve().parent

def check_task(path:Path)->dict:
    t0 = time.time()
    t = load_task(path)
    exs = t.seeds + t.pool + t.test
    raw = json.loads(path.read_text())["examples"]
    keys = lambda xs: {_ikey(e["input"]) for e in xs}
    disjoint = not (keys(t.test) & (keys(t.seeds) | keys(t.pool))) and not (keys(t.seeds) & keys(t.pool))
    n_data_in_task = len(keys(raw) & keys(exs))
    res = dict(task=t.name, fmt=t.fmt.kind + (f" {'/'.join(t.fmt.labels)}" if t.fmt.labels else ""),
               category=t.category, n_data=len(raw), seeds=len(t.seeds), pool=len(t.pool), test=len(t.test),
               disjoint=disjoint, duplicates_dropped=t.meta["duplicates_dropped"], data_covered=n_data_in_task,
               cot=len(t.cot), description=t.description)
    writers = {"sentence": lambda x: f"Let's think step by step. Some reasoning here. So the answer is {x}.",
               "tag": lambda x: f"Some reasoning.\n<ans>{x}</ans>",
               "lower": lambda x: f"... so the answer is {x.lower()}."}
    fails = {k: [] for k in writers}; neg_fails = {k: [] for k in writers}
    targets = [e["target"] for e in raw]
    for i, e in enumerate(raw):
        gold = e["target"]
        other = next((targets[(i + j) % len(targets)] for j in range(1, len(targets)) if targets[(i + j) % len(targets)] != gold), None)
        for k, w in writers.items():
            pred = t.parse_answer(w(gold), question=e["input"])
            if not t.is_correct(pred, gold): fails[k].append((i, gold, pred))
            if other is not None and t.is_correct(pred, other): neg_fails[k].append((i, gold, other, pred))
    for k in writers:
        res[f"{k}_ok"] = len(raw) - len(fails[k]); res[f"{k}_neg_ok"] = len(raw) - len(neg_fails[k])
    # CoT exemplars: the full BBH answer text must parse to the exemplar's target
    cot_ok = 0
    for c in t.cot:
        full = f"Let's think step by step.\n{c['rationale']} So the answer is {c['target']}."
        cot_ok += t.is_correct(t.parse_answer(full, question=c["input"]), c["target"])
    res["cot_ok"] = cot_ok
    res["invalid_gold"] = [g for g in sorted(set(targets)) if not t.valid_target(g)]
    res["fail_examples"] = {k: v[:3] for k, v in fails.items() if v} | {f"neg_{k}": v[:3] for k, v in neg_fails.items() if v}
    res["seconds"] = round(time.time() - t0, 3)
    return res

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="BBH's folder of task JSON files (bbh/ in a clone of BIG-Bench-Hard)")
    a = ap.parse_args()
    if not Path(a.data).is_dir(): sys.exit(f"--data {a.data}: no such folder; pass BBH's bbh/ folder (git clone https://github.com/suzgunmirac/BIG-Bench-Hard)")
    files = sorted(Path(a.data).glob("*.json"))
    if not files: sys.exit(f"--data {a.data}: no BBH task JSON files in it")
    rows = [check_task(p) for p in files]
    cols = ["task", "fmt", "n_data", "seeds", "pool", "test", "disjoint", "cot_ok", "sentence_ok", "tag_ok", "lower_ok",
            "sentence_neg_ok", "tag_neg_ok", "lower_neg_ok", "invalid_gold"]
    fmt_cell = lambda v: ", ".join(v) if isinstance(v, list) else str(v)
    md = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    md += ["| " + " | ".join(fmt_cell(r[c]) for c in cols) + " |" for r in rows]
    n = sum(r["n_data"] for r in rows)
    summ = dict(tasks=len(rows), examples=n, all_loaded=True, all_disjoint=all(r["disjoint"] for r in rows),
                cot_ok=f"{sum(r['cot_ok'] for r in rows)}/{sum(r['cot'] for r in rows)}")
    for k in ("sentence", "tag", "lower"):
        summ[f"{k}_accuracy"] = sum(r[f"{k}_ok"] for r in rows) / n
        summ[f"{k}_rejects_other"] = sum(r[f"{k}_neg_ok"] for r in rows) / n
    summ["invalid_gold_targets"] = {r["task"]: r["invalid_gold"] for r in rows if r["invalid_gold"]}
    print("\n".join(md))
    print("\nSummary:")
    for k, v in summ.items(): print(f"  {k}: {v}")
    out = HERE / "results"
    save_json(out / "check_bbh.json", dict(summary=summ, tasks=rows))
    atomic_write(out / "check_bbh.md", "# check_bbh: arte.tasks on BBH\n\n"
                 "Each gold target written as model output (`So the answer is X.`, `<ans>X</ans>`, lower-case sentence) "
                 "must parse back and match (`*_ok`), and must not match another example's different target "
                 "(`*_neg_ok`). `invalid_gold`: gold targets outside the task's answer format (the known free-text "
                 "targets of choice tasks).\n\n" + "\n".join(md) + "\n\n## Summary\n\n"
                 + "\n".join(f"- {k}: {v}" for k, v in summ.items()) + "\n")
    ok = all(summ[f"{k}_accuracy"] == 1.0 and summ[f"{k}_rejects_other"] == 1.0 for k in ("sentence", "tag", "lower"))
    sys.exit(0 if ok and summ["all_disjoint"] else 1)

if __name__ == "__main__": main()
