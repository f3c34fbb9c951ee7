"""Per-stage wall time and peak RSS of a finished `arte run` / `arte demo` folder (from its metrics.json).

    python bench/bench_pipeline.py [--run RUN_FOLDER]        # default: arte-demo

Only parses `the run folder's metrics.json` ("stages": name, round, seconds, peak_rss_mb, skipped); runs nothing.
Writes bench/results/bench_pipeline.{json,md}.
"""
import argparse, json, os, sys
from pathlib import Path
sys.path.insert(0, os.path.dirname(__file__))
from _bench_common import command, save

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--run", default="arte-demo", help="a finished run folder (with metrics.json)")
p.add_argument("--quick", action="store_true", help="accepted for symmetry; parsing is always quick")
a = p.parse_args()
f = Path(a.run)/"metrics.json"
if not f.exists(): sys.exit(f"no metrics.json in {a.run!r}: run `arte demo` (or `arte run`) first, or pass a run folder")
m = json.loads(f.read_text())
st = m.get("stages", [])
total = round(sum(s.get("seconds") or 0 for s in st if not s.get("skipped")), 2)
peak = max([s.get("peak_rss_mb") or 0 for s in st], default=0)
md = [f"# Pipeline stages: {a.run}", "", f"Command: `{command()}`", "", "| stage | round | seconds | share | peak RSS MB | skipped |", "|---|---|---|---|---|---|"]
for s in st:
    sec = s.get("seconds") or 0
    md.append(f"| {s['name']} | {s.get('round') or '-'} | {sec} | {'-' if s.get('skipped') or not total else f'{sec / total:.0%}'} | {s.get('peak_rss_mb')} | {'yes' if s.get('skipped') else ''} |")
md.append(f"| **total (run stages)** | | {total} | | {peak} | |")
save("bench_pipeline", dict(run=str(a.run), command=command(), stages=st, total_seconds=total, peak_rss_mb=peak, eval=m.get("eval")), md)
