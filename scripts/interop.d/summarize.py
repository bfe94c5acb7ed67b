"""One-line results and the markdown summary of scripts/interop.

  summarize.py line RESULT.json      one line for the terminal
  summarize.py passed RESULT.json    exit 0 when the result passed
  summarize.py report WORK OUT.md ROOT   the summary of WORK/results.tsv and WORK/*.json
"""
import datetime
import json
import os
import subprocess
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def line(r):
    rt = r.get("runtime", "")
    if rt == "transformers + auto-round":
        if "layers_total" not in r:
            return f"load failed: {r.get('error', '?')}"
        k = r.get("kinds", {})
        s = (f"{k.get('kernel', 0)}/{r['layers_total']} layers in real kernels"
             f" ({k.get('kept16', 0)} kept 16-bit, {k.get('fallback', 0)} fallback, {k.get('uninitialised', 0)} uninitialised)")
        if "eval" in r:
            s += f"; PPL {r['eval']['ppl']:.3f} vs autoscheme {r.get('reference_ppl', float('nan')):.3f} ({100 * r.get('ppl_rel_diff', float('nan')):+.2f}%)"
        elif r.get("reference_ppl") is not None:
            s += f"; no PPL (autoscheme eval: {r['reference_ppl']:.3f})"
        if "error" in r:
            s += f"; error: {r['error'][:160]}"
        return s
    if rt == "llm-compressor oneshot":
        if not r.get("passed"):
            refused = f"{r['refused_layers']} layers refused; " if r.get("refused_layers") else ""
            return f"oneshot failed: {refused}{r.get('error', '?')[:200]}"
        s = f"oneshot ran in {r.get('oneshot_seconds')} s"
        if "eval" in r:
            s += f"; PPL {r['eval']['ppl']:.2f} (its own rounding, not judged)"
        if "error" in r:
            s += f"; PPL failed: {r['error'][:160]}"
        return s
    if rt == "llama.cpp (our GGUF)":
        d = r.get("ppl_rel_diff")
        return (f"quantize --format gguf: {r.get('file_bytes'):,} bytes in {r.get('quantize_seconds')} s; llama-perplexity PPL "
                f"{r.get('llama_perplexity_ppl')}, autoscheme eval (same positions) {r.get('autoscheme_eval_ppl'):.4f}, "
                f"{100 * d:.2f}% apart (<= 1%)" if d is not None else json.dumps(r)[:200])
    if rt == "llama.cpp":
        return (f"plan at {r.get('budget')} bits ({r.get('plan_bits')} on the searched layers): "
                f"{r.get('overrides_applied')}/{r.get('planned_lines')} lines applied, "
                f"{r.get('stored_as_planned')}/{r.get('planned_lines')} tensors stored as planned, {r.get('replaced')} replaced; "
                f"our GGUF of the plan {'holds the same tensor types' if r.get('ours_same_types') else 'differs: ' + '; '.join(r.get('ours_type_differences') or [])}; "
                f"{r.get('quant_size_mib')} MiB, {r.get('file_bpw')} BPW (whole file); PPL {r.get('ppl')} (-c 512 --chunks 16)")
    return json.dumps(r)[:200]


def report(work, out, root):
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(work, "results.tsv")) if l.strip()]
    commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    md = ["# Interop: AutoScheme's outputs in the real runtimes", "",
          f"`scripts/interop`, {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, AutoScheme {commit or '?'}, "
          f"on {os.cpu_count()} cores (shared when other work ran).", "",
          "| part | status | seconds | result |", "|---|---|---|---|"]
    for part, status, secs, text in rows:
        md.append(f"| {part} | {status} | {secs} | {text.replace('|', '/')} |")
    for name in ("autoround", "llmcompressor", "llamacpp", "gguf"):
        path = os.path.join(work, name + ".json")
        if not os.path.exists(path):
            continue
        r = load(path)
        md += ["", f"## {r.get('runtime', name)}", ""]
        versions = r.get("versions") or {}
        if versions:
            md.append("Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".")
        if r.get("version"):
            md.append("Version: " + " / ".join(r["version"]) + ".")
        for key in ("checkpoint", "model", "recipe", "dtype", "model_dtype", "load_seconds", "oneshot_seconds",
                    "kinds", "classes", "missing_keys", "unexpected_keys", "reference_ppl", "ppl_rel_diff", "eval",
                    "budget", "plan_bits", "plan_types", "planned_lines", "overrides_applied", "stored_as_planned", "replaced",
                    "mismatches", "quant_size_mib", "file_bpw", "ppl", "refused_layers", "error"):
            if key in r:
                value = json.dumps(r[key]) if not isinstance(r[key], str) else r[key][:300]
                value = value.replace("`", "'")
                md.append(f"- {key}: `{value}`")
        if r.get("not_in_kernel"):
            md.append(f"- not in a kernel ({len(r['not_in_kernel'])}): " + ", ".join(f"`{n}`" for n in r["not_in_kernel"][:12])
                      + (" ..." if len(r["not_in_kernel"]) > 12 else ""))
        if r.get("backend_lines"):
            md.append("- backend log: " + "; ".join(f"`{l[:200]}`" for l in r["backend_lines"][:4]))
        if r.get("generation"):
            g = r["generation"]
            md.append(f"- greedy generation: _{g['prompt']}_ -> `{g['continuation'].strip()}`")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        f.write("\n".join(md) + "\n")


def main():
    cmd = sys.argv[1]
    if cmd == "line":
        print(line(load(sys.argv[2])))
    elif cmd == "passed":
        sys.exit(0 if load(sys.argv[2]).get("passed") else 1)
    elif cmd == "report":
        report(*sys.argv[2:5])


if __name__ == "__main__":
    main()
