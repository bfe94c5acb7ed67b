"""Runs llm-compressor's `oneshot` (data-free, its own rounding) with an AutoScheme recipe on a
Hugging Face fp32 folder, then measures the PPL of the result with AutoScheme's evaluation
protocol (evalproto.py). Writes one JSON object to --json. Pass: `oneshot` returns without an
error (the PPL is reported, not judged: the plan's formats are chosen for AutoScheme's quantizer).
"""
import argparse
import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evalproto  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="Hugging Face fp32 folder")
    p.add_argument("recipe", help="`autoscheme export-plan --to llmcompressor` output")
    p.add_argument("--text", required=True)
    p.add_argument("--ctx", type=int, default=512)
    p.add_argument("--windows", type=int, default=16)
    p.add_argument("--output-dir", help="where oneshot saves its checkpoint (not saved without)")
    p.add_argument("--json", required=True)
    a = p.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    result = {"runtime": "llm-compressor oneshot", "model": a.model, "recipe": a.recipe,
              "versions": evalproto.versions("llmcompressor", "compressed-tensors", "torch", "transformers"),
              "passed": False}
    try:
        import torch
        from transformers import AutoModelForCausalLM
        from llmcompressor import oneshot
        model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32)
        start = time.time()
        kwargs = {"output_dir": a.output_dir} if a.output_dir else {}
        model = oneshot(model=model, recipe=a.recipe, **kwargs)
        result["oneshot_seconds"] = round(time.time() - start, 1)
        result["passed"] = True
        ids = evalproto.token_ids(a.text, evalproto.tokenizer_json(a.model))
        result["eval"] = evalproto.perplexity(model, ids, a.ctx, a.windows)
    except Exception as e:  # report, don't hide: the check failed
        result["error"] = f"{type(e).__name__}: {e}"[:2000]
        result["refused_layers"] = str(e).count("(columns=")  # divisibility refusals list one layer a line
        result["traceback"] = traceback.format_exc()[-4000:]
    with open(a.json, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print(json.dumps({k: result.get(k) for k in ("passed", "oneshot_seconds", "error")}))


if __name__ == "__main__":
    main()
