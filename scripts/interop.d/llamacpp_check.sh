#!/usr/bin/env bash
# llama.cpp part of scripts/interop (reported, not judged): quantizes an F16 copy of the GGUF with
# the plan's `export-plan --to llamacpp` tensor types (base type Q8_0 for tensors the plan does not
# name), counts the overrides llama-quantize applied and the types it replaced, measures the file's
# size and `llama-perplexity -c 512 --chunks 16` (which scores the second half of each window), and
# writes WORK/llamacpp.json.
#   llamacpp_check.sh BIN_DIR GGUF PLAN TEXT WORK
set -euo pipefail
bin="$1" gguf="$2" plan="$3" text="$4" work="$5"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${AUTOSCHEME_CACHE:-$HOME/.cache/autoscheme}"
f16="$cache/interop/gguf-f16/$(basename "$gguf" .gguf).F16.gguf"
if [ ! -f "$f16" ]; then
  mkdir -p "$(dirname "$f16")"
  "$bin/llama-quantize" --allow-requantize "$gguf" "$f16.tmp" F16 > "$work/llamacpp-f16.log" 2>&1
  mv "$f16.tmp" "$f16"
fi
"$root/scripts/autoscheme" export-plan "$plan" --to llamacpp -o "$work/tensor-types.txt" 2> "$work/export-llamacpp.log"
"$bin/llama-quantize" --allow-requantize --tensor-type-file "$work/tensor-types.txt" "$f16" "$work/plan.gguf" Q8_0 \
  > "$work/llama-quantize.log" 2>&1
"$bin/llama-perplexity" -m "$work/plan.gguf" -f "$text" -c 512 --chunks 16 -t 2 > "$work/llama-perplexity.log" 2>&1
python3 - "$work" "$bin" <<'PY'
import json, os, re, subprocess, sys
work, bin_dir = sys.argv[1:]
q = open(os.path.join(work, "llama-quantize.log"), errors="replace").read()
p = open(os.path.join(work, "llama-perplexity.log"), errors="replace").read()
lines = [l for l in open(os.path.join(work, "tensor-types.txt")).read().split() if "=" in l]
ppl = re.search(r"Final estimate: PPL = ([0-9.]+)", p)
size = re.search(r"quant size\s*=\s*([0-9.]+) MB", q)
version = subprocess.run([os.path.join(bin_dir, "llama-quantize"), "--version"], capture_output=True, text=True)
result = {"runtime": "llama.cpp", "passed": True, "planned_lines": len(lines),
          "overrides_applied": len(re.findall(r"applying manual override", q)),
          "replaced": len(re.findall(r"(?i)fallback|falling back|not divisible", q)),
          "quant_size_mb": float(size.group(1)) if size else None,
          "ppl": float(ppl.group(1)) if ppl else None,
          "version": (version.stdout + version.stderr).strip().splitlines()[:2]}
json.dump(result, open(os.path.join(work, "llamacpp.json"), "w"), indent=1, sort_keys=True)
PY
