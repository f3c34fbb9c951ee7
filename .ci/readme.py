#!/usr/bin/env python
"""Render README.md from nbs/index.ipynb without Quarto, or check that it is up to date (--check).

`nbdev-readme` needs Quarto; this renders the same README without it, with the same
content: markdown cells verbatim, code cells as fenced ```sh or ```python blocks, cells with `#| hide`
or `#| include: false` left out, and directive lines (`#| ...`) removed."""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
def render(nb_path=root/"nbs"/"index.ipynb")->str:
    nb = json.loads(Path(nb_path).read_text())
    out = []
    for c in nb["cells"]:
        src = "".join(c["source"])
        lines = src.split("\n")
        dirs = [l.replace(" ", "") for l in lines if l.startswith("#|")]
        if "#|hide" in dirs or "#|include:false" in dirs: continue
        body = "\n".join(l for l in lines if not l.startswith("#|")).strip("\n")
        if not body: continue
        if c["cell_type"] == "markdown": out.append(body)
        else:
            lang = "sh" if body.startswith("!") else "python"
            if lang == "sh": body = "\n".join(l[1:] if l.startswith("!") else l for l in body.split("\n"))
            out.append(f"```{lang}\n{body}\n```")
    return "<!-- Generated from nbs/index.ipynb by .ci/readme.py: edit the notebook, not this file. -->\n\n" + "\n\n".join(out) + "\n"

if __name__ == "__main__":
    text, readme = render(), root/"README.md"
    if "--check" in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            sys.exit("README.md is out of date with nbs/index.ipynb: run `python .ci/readme.py` and commit it.")
        print("README.md matches nbs/index.ipynb")
    else:
        readme.write_text(text); print("wrote README.md")
