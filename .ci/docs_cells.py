"""Fail when the docs build (nbdev-proc-nbs) would execute a cell that the test run skips.

nbdev's docs processor runs every exported cell, every `show_doc` cell and every cell that contains an import
*anywhere* in it. A `#| slow`/`#| gpu`/`#| notest` cell that also imports something would therefore run in full
during the docs build (one such cell once cost CI 20 minutes). Likewise a test cell (one that asserts) with an import
in it runs in the docs build without the cells before it that the docs build skips, and fails there. Keep imports of
flagged cells and of test cells in a cell of their own."""
import sys, glob, ast
from nbdev.config import get_config
from nbdev.process import NBProcessor
from nbdev.processors import _do_eval

flags = set(get_config().tst_flags.split())
bad = []
for f in sorted(glob.glob("nbs/**/*.ipynb", recursive=True)):
    for c in NBProcessor(f).nb.cells:
        if c.cell_type != "code" or not _do_eval(c): continue
        if {"export", "exports", "exporti", "exec_doc"} & set(c.directives_): continue  # meant to run in the docs
        trees = c.parsed_()
        if all(isinstance(t, (ast.Import, ast.ImportFrom)) for t in trees): continue  # imports only: cheap, and needed
        asserts = any(isinstance(n, ast.Assert) or (isinstance(n, ast.Call) and getattr(n.func, "id", "").startswith("test_"))
                      for t in trees for n in ast.walk(t))
        if not (flags & set(c.directives_)) and not asserts: continue  # a setup cell: runs in the docs build, as it should
        bad.append(f"{f} cell {c.idx_}: {c.source.splitlines()[0]} ... {c.source.splitlines()[-1][:60]}")
for b in bad: print("docs build would run a flagged or test cell (move its imports to a cell of their own):", b)
sys.exit(1 if bad else 0)
