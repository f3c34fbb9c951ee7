"""The demo before and after: per-stage seconds (wall, and CPU where recorded), peak RSS, and what the run showed.

    python bench/bench_demo.py --before RUN_A --after RUN_B [--before-wall S --after-wall S --before-rss MB --after-rss MB]

Reads two finished run folders of `arte demo` (their metrics.json, _stage.json files, DPO log and alignment gain);
runs nothing. The whole-command wall time and peak RSS (from `/usr/bin/time -v arte demo --out DIR`) are passed in,
since a run folder records only its stages. Writes bench/results/bench_demo.{json,md}.
"""
import argparse, json, os, sys
from pathlib import Path
sys.path.insert(0, os.path.dirname(__file__))
from _bench_common import command, save

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--before", required=True); p.add_argument("--after", required=True)
for k in ("before_wall", "after_wall", "before_rss", "after_rss"): p.add_argument("--" + k.replace("_", "-"), type=float)
p.add_argument("--note", default="", help="a line on the conditions (load, machine)")
a = p.parse_args()

def stages(run):
    "{(name, round): {seconds, cpu_seconds, peak_rss_mb}} of a run folder."
    out = {}
    for f in sorted(Path(run).glob("**/_stage.json")):
        st = json.loads(f.read_text()); rel = f.parent.relative_to(run).parts
        rnd = int(rel[0].split("-")[1]) if rel[0].startswith("round-") else None
        out[(f.parent.name, rnd)] = {k: st.get(k) for k in ("seconds", "cpu_seconds", "peak_rss_mb")}
    return out

def shown(run):
    "What the run showed: the DPO margins, the alignment gain, and the evaluation."
    run = Path(run); m = json.loads((run/"metrics.json").read_text())
    h = run/"round-1"/"align"/"log_history.json"
    hist = json.loads(h.read_text()) if h.exists() else []
    margins = [round(x["rewards/margins"], 4) for x in hist if "rewards/margins" in x]
    pairs = json.loads((run/"round-1"/"pairs"/"_stage.json").read_text())["summary"]
    return dict(dpo_margins=margins, dpo_steps=max([x.get("step", 0) for x in hist] or [0]),
                pairs={k: pairs.get(k) for k in ("question pairs", "rationale pairs")},
                alignment_gain=m.get("alignment_gain"), eval=[{k: r[k] for k in ("method", "shots", "accuracy", "ci", "n")} for r in m["eval"]])

B, A = stages(a.before), stages(a.after)
run_order = lambda run: [(x["name"], x["round"]) for x in json.loads((Path(run)/"metrics.json").read_text())["stages"]]
order = list(dict.fromkeys([*run_order(a.after), *run_order(a.before), *B, *A]))
tot = lambda S, k: round(sum(v.get(k) or 0 for v in S.values()), 1)
rows = []
for key in order:
    b, x = B.get(key, {}), A.get(key, {})
    r = lambda u, v: f"{u / v:.2f}x" if u and v else "-"
    rows.append(dict(stage=key[0], round=key[1], before_s=b.get("seconds"), after_s=x.get("seconds"), speedup=r(b.get("seconds"), x.get("seconds")),
                     after_cpu_s=x.get("cpu_seconds"), before_rss=b.get("peak_rss_mb"), after_rss=x.get("peak_rss_mb")))
res = dict(command=command(), before=a.before, after=a.after, note=a.note, rows=rows,
           total=dict(before_s=tot(B, "seconds"), after_s=tot(A, "seconds"), after_cpu_s=tot(A, "cpu_seconds"),
                      before_wall=a.before_wall, after_wall=a.after_wall, before_rss=a.before_rss, after_rss=a.after_rss,
                      before_peak_stage_rss=max(v["peak_rss_mb"] or 0 for v in B.values()),
                      after_peak_stage_rss=max(v["peak_rss_mb"] or 0 for v in A.values())),
           before_shown=shown(a.before), after_shown=shown(a.after))
t = res["total"]
md = ["# The demo, before and after", "", f"Command: `{command()}`", "", a.note, "",
      "| stage | round | before s | after s | speed-up | after CPU s | before peak RSS MB | after peak RSS MB |", "|---|---|---|---|---|---|---|---|"]
md += [f"| {r['stage']} | {r['round'] or '-'} | {r['before_s'] or '-'} | {r['after_s'] or '-'} | {r['speedup']} | {r['after_cpu_s'] or '-'} | "
       f"{r['before_rss'] or '-'} | {r['after_rss'] or '-'} |" for r in rows]
sp = f"{t['before_s'] / t['after_s']:.2f}x" if t["after_s"] else "-"
md += [f"| **stages total** | | {t['before_s']} | {t['after_s']} | {sp} | {t['after_cpu_s']} | {t['before_peak_stage_rss']} | {t['after_peak_stage_rss']} |",
       "", f"Whole command: before {t['before_wall']} s, peak RSS {t['before_rss'] or 'not recorded'} MB; after {t['after_wall']} s, "
       f"peak RSS {t['after_rss'] or 'not recorded'} MB (`/usr/bin/time -v`).", ""]
for side in ("before", "after"):
    s = res[f"{side}_shown"]
    g = "; ".join(f"{r['task']} r{r['round']}: {r['gain']} {r['ci']} (n {r['n_aligned']}/{r['n_original']})" for r in s["alignment_gain"] or []) or "not measured"
    md += [f"**{side}**: pairs {s['pairs']}, DPO steps {s['dpo_steps']}, reward margins {s['dpo_margins']}; alignment gain: {g}", ""]
save("bench_demo", res, md)
