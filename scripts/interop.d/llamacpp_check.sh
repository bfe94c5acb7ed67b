#!/usr/bin/env bash
# llama.cpp part of scripts/interop: a plan searched for llama.cpp, applied by llama-quantize exactly.
#   llamacpp_check.sh BIN_DIR GGUF TEXT WORK BITS
# 1. profile the default model with `--target llamacpp` (the ggml types and bf16; cached as
#    $AUTOSCHEME_CACHE/interop/llamacpp-profile-MODEL.json, delete it to profile again), search it at
#    BITS bits per weight with `--target llamacpp`, and `export-plan --to llamacpp` (exact);
# 2. `llama-quantize --tensor-type-file` on an F16 copy of GGUF with base type Q4_1, a type no line
#    names, so llama-quantize logs an override for every line (it logs none when the line's type is
#    the base type), and token embedding and output set to q8_0 (fixed, no fallback);
# 3. check from its log that every line was applied, that every planned tensor was converted to its
#    planned type, and that no tensor fell back (`tensor_type_fallback`'s warnings and summary);
# 4. `llama-perplexity -c 512 --chunks 16` on TEXT (it scores the second half of each window);
# 5. our own GGUF of the same plan (`quantize --format gguf --recipe rtn --embedding-type q8_0`), read
#    back with the PyPI gguf package beside llama-quantize's file: every tensor of either file must be
#    in the other with the same ggml type and shape.
# Writes WORK/llamacpp.json; passes when 1, 3 and 5 hold.
set -euo pipefail
bin="$1" gguf="$2" text="$3" work="$4" bits="$5"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${AUTOSCHEME_CACHE:-$HOME/.cache/autoscheme}"
f16="$cache/interop/gguf-f16/$(basename "$gguf" .gguf).F16.gguf"
profile="$cache/interop/llamacpp-profile-$(basename "$gguf" .gguf).json"
if [ ! -f "$f16" ]; then
  mkdir -p "$(dirname "$f16")"
  "$bin/llama-quantize" --allow-requantize "$gguf" "$f16.tmp" F16 > "$work/llamacpp-f16.log" 2>&1
  mv "$f16.tmp" "$f16"
fi
if [ ! -f "$profile" ]; then
  "$root/scripts/autoscheme" profile "$gguf" --target llamacpp -o "$profile" > "$work/llamacpp-profile.log" 2>&1
fi
"$root/scripts/autoscheme" search "$profile" --target llamacpp --avg-bits "$bits" -o "$work/llamacpp-plan.json" \
  > "$work/llamacpp-search.log" 2>&1
"$root/scripts/autoscheme" export-plan "$work/llamacpp-plan.json" --to llamacpp --model "$gguf" -o "$work/tensor-types.txt" \
  > "$work/export-llamacpp.log" 2>&1
"$bin/llama-quantize" --allow-requantize --tensor-type-file "$work/tensor-types.txt" --token-embedding-type q8_0 \
  --output-tensor-type q8_0 "$f16" "$work/plan.gguf" Q4_1 > "$work/llama-quantize.log" 2>&1
"$bin/llama-perplexity" -m "$work/plan.gguf" -f "$text" -c 512 --chunks 16 -t 2 > "$work/llama-perplexity.log" 2>&1
"$root/scripts/autoscheme" quantize "$gguf" --plan "$work/llamacpp-plan.json" --recipe rtn --format gguf \
  --embedding-type q8_0 -o "$work/plan-ours.gguf" --overwrite > "$work/llamacpp-ours.log" 2>&1
"$root/scripts/check-gguf" --setup > /dev/null
"$cache/venv-gguf/bin/python" - "$work/plan.gguf" "$work/plan-ours.gguf" > "$work/same-types.json" <<'PY'
import json, sys, gguf
def types(path):
    return {t.name: (t.tensor_type.name, [int(d) for d in t.shape]) for t in gguf.GGUFReader(path).tensors}
theirs, ours = types(sys.argv[1]), types(sys.argv[2])
differ = sorted(f"{n}: llama-quantize {theirs.get(n)}, ours {ours.get(n)}"
                for n in set(theirs) | set(ours) if theirs.get(n) != ours.get(n))
json.dump({"tensors": len(theirs), "differ": differ}, sys.stdout)
PY
python3 - "$work" "$bin" "$bits" <<'PY'
import collections, json, os, re, sys
work, bin_dir, bits = sys.argv[1:]
q = open(os.path.join(work, "llama-quantize.log"), errors="replace").read()
p = open(os.path.join(work, "llama-perplexity.log"), errors="replace").read()
plan = json.load(open(os.path.join(work, "llamacpp-plan.json")))
planned = dict(t.split("=", 1) for t in open(os.path.join(work, "tensor-types.txt")).read().split())
overrides = {n: t for n, _, t in re.findall(r"(\S+)\s+- applying manual override: (\S+) -> (\S+)", q)}
converted = dict(re.findall(r"\]\s+(\S+)\s+- \[[^\]]*\], type =\s*\S+, converting to (\S+) \.\.", q))
fell_back = re.findall(r"warning: (\S+)\s+- ncols", q)
summary = re.search(r"(\d+) of (\d+) tensor\(s\) required fallback", q)
size = re.search(r"quant size\s*=\s*([0-9.]+) MiB \(([0-9.]+) BPW\)", q)
ppl = re.search(r"Final estimate: PPL = ([0-9.]+)", p)
same = json.load(open(os.path.join(work, "same-types.json")))
applied = sum(1 for n, t in planned.items() if overrides.get(n) == t)
as_planned = sum(1 for n, t in planned.items() if converted.get(n) == t)
mismatches = [f"{n}: planned {t}, stored {converted.get(n)}" for n, t in planned.items() if converted.get(n) != t]
result = {"runtime": "llama.cpp", "budget": float(bits),
          "plan_bits": round(plan["achieved"]["searched_average"], 4),
          "plan_types": dict(sorted(collections.Counter(planned.values()).items())),
          "planned_lines": len(planned), "overrides_applied": applied, "stored_as_planned": as_planned,
          "replaced": len(fell_back) + (int(summary.group(1)) if summary and not fell_back else 0),
          "mismatches": mismatches[:5],
          "ours_same_types": not same["differ"], "ours_type_differences": same["differ"][:5],
          "quant_size_mib": float(size.group(1)) if size else None,
          "file_bpw": float(size.group(2)) if size else None,
          "ppl": float(ppl.group(1)) if ppl else None,
          "version": [os.path.basename(os.path.dirname(os.path.abspath(bin_dir))) + " (llama-cpp-python sdist, vendored llama.cpp)"]}
result["passed"] = (len(planned) > 0 and applied == len(planned) and as_planned == len(planned)
                    and result["replaced"] == 0 and result["ppl"] is not None
                    and same["tensors"] > 0 and not same["differ"])
json.dump(result, open(os.path.join(work, "llamacpp.json"), "w"), indent=1, sort_keys=True)
PY
