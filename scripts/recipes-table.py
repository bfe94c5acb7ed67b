#!/usr/bin/env python3
"""Writes reports/recipes.md from the `run --json` summaries that scripts/recipes-table collects.

Usage: recipes-table.py WORK OUT.md VARIANT...  (WORK holds VARIANT-BITS.json for bits 2.5 and 3.0)."""
import json
import os
import sys

LABELS = {
    "rtn-plain": "plain RTN (`--recipe rtn --method rtn-plain`)",
    "rtn": "`--recipe rtn` (importance-weighted RTN)",
    "light": "`--recipe light`",
    "default": "`--recipe default`",
    "best": "`--recipe best`",
    "layer-200": "former default: layer-wise, 200 iterations, 32 x 512",
}


def main():
    work, out, variants = sys.argv[1], sys.argv[2], sys.argv[3:]
    rows = [
        "# Quantize recipes on the default model",
        "",
        "Made by `scripts/recipes-table`: `autoscheme run --avg-bits B` with each recipe (arguments below),",
        "calibration lcet10.txt (seed 42), evaluation on the same 16 x 512 tokens of alice29.txt against the",
        "original (PPL 25.25). Each budget's plan is the same for every row (the cached profile, the same",
        "search: `run`'s default fisher-kl profile and autoround target, so the default row is the README's",
        "command). `x RTN` is plain RTN's KL over the row's. Quantize seconds are the stage's wall time; the",
        "load column is the 1-minute load average at the start or end of the run, whichever was higher",
        "(2 cores: above about 2.2 the figure was taken under load and overstates the time).",
        "",
        "| bits | quantizer | KL | x RTN | PPL | top-1 | quantize s | load |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    args = {}
    for bits in ["2.5", "3.0"]:
        runs = {}
        for v in variants:
            p = os.path.join(work, f"{v}-{bits}.json")
            if os.path.exists(p):
                runs[v] = json.load(open(p))
        base = runs.get("rtn-plain", {}).get("kl")
        for v, s in runs.items():
            q = sum(t["seconds"] for t in s["stages"] if t["stage"] == "quantize")
            ratio = f"{base / s['kl']:.2f}" if base else "-"
            args[v] = s.get("_args", "")
            rows.append(f"| {bits} | {LABELS.get(v, v)} | {s['kl']:.4f} | {ratio} | {s['ppl_quantized']:.2f} | "
                        f"{s['top1_agree']:.3f} | {q:.0f} | {s.get('_load', float('nan')):.1f} |")
    missing = [f"{v} at {b}" for v in variants for b in ["2.5", "3.0"]
               if not os.path.exists(os.path.join(work, f"{v}-{b}.json"))]
    if missing:
        rows += ["", "Not measured in this table: " + ", ".join(missing) + "."]
    rows += ["", "Arguments per row:", ""]
    rows += [f"- {LABELS.get(v, v)}: `{a}`" for v, a in args.items()]
    # Hand-written history below the generated table ("## History" on) survives a regeneration.
    history = ""
    if os.path.exists(out):
        text = open(out).read()
        at = text.find("\n## History")
        if at >= 0:
            history = text[at:]
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(rows) + "\n" + history)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
