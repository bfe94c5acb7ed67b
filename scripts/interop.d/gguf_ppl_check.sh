#!/usr/bin/env bash
# GGUF part of scripts/interop (judged): our own mixed-precision GGUF (`quantize --format gguf`)
# scored by llama.cpp's `llama-perplexity -c 512 --chunks 16` and by `autoscheme eval --second-half
# --raw-newlines` (the positions llama-perplexity scores, on the text as it reads it). Passes when
# the two PPLs agree within 1%. Writes WORK/gguf.json.
#   gguf_ppl_check.sh BIN_DIR PLAN TEXT WORK
# PLAN must use ggml types only; "" makes one: a profile of the default model over the ggml types
# (cached in $AUTOSCHEME_CACHE/interop/gguf-profile.json) searched at 4.3 bits per weight.
set -euo pipefail
bin="$1" plan="$2" text="$3" work="$4"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${AUTOSCHEME_CACHE:-$HOME/.cache/autoscheme}"
as="$root/scripts/autoscheme"
if [ -z "$plan" ]; then
  profile="$cache/interop/gguf-profile.json"
  [ -f "$profile" ] || "$as" profile default --formats q2_K,q3_K,q4_0,q4_K,q5_0,q6_K,q8_0 -o "$profile" > "$work/gguf-profile.log" 2>&1
  plan="$work/gguf-plan.json"
  "$as" search "$profile" --avg-bits 4.3 --target any -o "$plan" > "$work/gguf-search.log" 2>&1
fi
start=$(date +%s.%N)
"$as" quantize default --plan "$plan" --recipe rtn --format gguf -o "$work/ours.gguf" --overwrite > "$work/gguf-quantize.log" 2>&1
seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
"$bin/llama-perplexity" -m "$work/ours.gguf" -f "$text" -c 512 --chunks 16 -t 2 > "$work/gguf-perplexity.log" 2>&1
"$as" eval "$work/ours.gguf" --text "$text" --ctx 512 --windows 16 --second-half --raw-newlines --json > "$work/gguf-eval.json" 2>/dev/null
python3 - "$work" "$seconds" <<'PY'
import json, os, re, sys
work, seconds = sys.argv[1], float(sys.argv[2])
log = open(os.path.join(work, "gguf-perplexity.log"), errors="replace").read()
m = re.search(r"Final estimate: PPL = ([0-9.]+)", log)
ours = json.load(open(os.path.join(work, "gguf-eval.json")))["ppl"]
theirs = float(m.group(1)) if m else None
diff = abs(ours - theirs) / theirs if theirs else None
result = {"runtime": "llama.cpp (our GGUF)", "file_bytes": os.path.getsize(os.path.join(work, "ours.gguf")),
          "quantize_seconds": seconds, "llama_perplexity_ppl": theirs, "autoscheme_eval_ppl": ours,
          "ppl_rel_diff": diff, "passed": diff is not None and diff <= 0.01}
json.dump(result, open(os.path.join(work, "gguf.json"), "w"), indent=1, sort_keys=True)
print(json.dumps(result))
sys.exit(0 if result["passed"] else 1)
PY
