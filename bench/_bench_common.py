"""Shared helpers of the benchmarks in bench/: hand-written drafts, the measured matmul peak, machine info, result files."""
import json, os, platform, re, resource, sys, threading, time
from pathlib import Path

OUT = Path(__file__).parent/"results"

def reduce_steps(expr:str)->list[str]:
    "Rewrite `expr` one innermost bracket at a time (Python semantics for `not/and/or` and `+ - *`), ending at its value."
    steps, e = [expr], expr
    while True:
        m = re.search(r"\(([^()]*)\)", e)
        if not m: break
        e = e[:m.start()] + str(eval(m.group(1))) + e[m.end():]
        steps.append(" ".join(e.split()))
    v = str(eval(e))
    if v != steps[-1].strip(): steps.append(v)
    return steps

def flip(task_name:str, ans:str)->str:
    "A wrong answer of the same kind as `ans`."
    if ans in ("True", "False"): return "False" if ans == "True" else "True"
    return str(int(ans) + 10)

KINDS = ("careful", "terse", "wrong_steps", "wrong_terse", "format_so", "format_first")

def rationale(kind:str, question:str, target:str, task_name:str)->str:
    "A hand-written rationale of one kind (see icl-signal.md): careful, terse, wrong (steps or terse), other format."
    expr = question.rsplit(" ", 1)[0]  # drop the trailing "is" / "="
    steps = reduce_steps(expr)
    chain = "\n= ".join(steps)
    if kind == "careful": return f"Brackets first, one at a time:\n{chain}\nSo the value is {target}. <ans>{target}</ans>"
    if kind == "terse": return f"<ans>{target}</ans>"
    w = flip(task_name, target)
    if kind == "wrong_steps": return f"Brackets first, one at a time:\n{chain}\nSo the value is {w}. <ans>{w}</ans>"
    if kind == "wrong_terse": return f"<ans>{w}</ans>"
    if kind == "format_so": return f"{chain}\nSo the answer is {target}."
    if kind == "format_first": return f"{target}. Because {expr} evaluates to {target}."
    raise ValueError(kind)

def build_drafts(task, n_drafts:int, offset:int=0)->list[dict]:
    "`n_drafts` draft rows (qid, question, rationale, target, strategy) cycling through KINDS over pool questions from `offset`."
    rows, n_q = [], -(-n_drafts // len(KINDS))
    for i in range(n_drafts):
        q = task.pool[offset + i % n_q]
        kind = KINDS[i // n_q % len(KINDS)]
        r = rationale(kind, q["input"], q["target"], task.name)
        rows.append(dict(task=task.name, qid=f"q{i % n_q}", question=q["input"], target=q["target"], strategy=kind, rationale=r))
    return rows

def matmul_peaks(threads:int, n:int=1024, seconds:float=2.0)->dict:
    """Measured fp32 FLOP/s of an n×n×n product with `threads` threads, two ways: `torch.matmul` (MKL here) and a
    `nn.Linear`-shaped product on oneDNN-packed weights (what arte's scorer runs on a CPU); the peak is the larger."""
    import torch
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    def rate(f):
        for _ in range(2): f()
        k, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds: f(); k += 1
        return 2 * n**3 * k / (time.perf_counter() - t0)
    out = dict(mkl_matmul=rate(lambda: torch.matmul(a, b)))
    try:
        w = torch.ops.mkldnn._reorder_linear_weight(b, n)
        out["onednn_packed_linear"] = rate(lambda: torch.ops.mkldnn._linear_pointwise(a, w, None, "none", [], ""))
    except (AttributeError, RuntimeError): pass
    out["peak"] = max(out.values())
    return out

def matmul_peak(threads:int, n:int=1024, seconds:float=2.0)->float:
    "The larger of the two measured fp32 matmul rates of `matmul_peaks`."
    return matmul_peaks(threads, n, seconds)["peak"]

class PeakRSS:
    "Context manager sampling this process's RSS (MB) every 20 ms; `.peak_mb` after exit."
    def __enter__(self):
        self.peak_mb, self._stop = rss_mb(), False
        def loop():
            while not self._stop: self.peak_mb = max(self.peak_mb, rss_mb()); time.sleep(0.02)
        self._t = threading.Thread(target=loop, daemon=True); self._t.start(); return self
    def __exit__(self, *a): self._stop = True; self._t.join(); self.peak_mb = round(max(self.peak_mb, rss_mb()), 1)

def rss_mb()->float:
    with open("/proc/self/status") as f:
        for l in f:
            if l.startswith("VmRSS:"): return int(l.split()[1]) / 1024
    return 0.0

def machine()->dict:
    import torch
    return dict(cpu=platform.processor() or platform.machine(), cores=os.cpu_count(), python=platform.python_version(),
                torch=torch.__version__, loadavg_start=[round(x, 2) for x in os.getloadavg()])

def command()->str: return "OMP_NUM_THREADS=" + os.environ.get("OMP_NUM_THREADS", "?") + " python " + " ".join(sys.argv)

def save(name:str, res:dict, md:list[str]):
    "Write bench/results/<name>.json and .md and print the markdown."
    OUT.mkdir(exist_ok=True)
    res["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    res["peak_rss_mb_process"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    (OUT/f"{name}.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    text = "\n".join(md) + "\n"
    (OUT/f"{name}.md").write_text(text); print(text)

def tree_pids(pid:int)->list[int]:
    "`pid` and every process below it (from /proc)."
    import psutil
    try: p = psutil.Process(pid); return [pid] + [c.pid for c in p.children(recursive=True)]
    except psutil.Error: return []

def tree_usage(pid:int)->dict:
    "CPU seconds (user + system) and RSS (MB) summed over `pid` and its descendants; processes that end are not counted."
    import psutil
    cpu = rss = 0.0
    for q in tree_pids(pid):
        try:
            p = psutil.Process(q); t = p.cpu_times()
            cpu += t.user + t.system + t.children_user + t.children_system; rss += p.memory_info().rss / 2**20
        except psutil.Error: pass
    return dict(cpu_s=cpu, rss_mb=rss)

class TreePeak:
    "Context manager sampling the summed RSS (MB) of a process tree every `every` s; `.peak_mb` after exit. `pid` may change."
    def __init__(self, pid=None, every:float=0.5): self.pid, self.every, self.peak_mb = pid, every, 0.0
    def __enter__(self):
        self._stop = False
        def loop():
            while not self._stop:
                pid = self.pid() if callable(self.pid) else self.pid
                if pid: self.peak_mb = max(self.peak_mb, tree_usage(pid)["rss_mb"])
                time.sleep(self.every)
        self._t = threading.Thread(target=loop, daemon=True); self._t.start(); return self
    def __exit__(self, *a): self._stop = True; self._t.join(); self.peak_mb = round(self.peak_mb, 1)
