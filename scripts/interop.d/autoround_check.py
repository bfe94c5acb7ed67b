"""Loads an AutoScheme auto_round checkpoint with transformers + auto-round on CPU and checks it.

Counts the linear layers of the decoder blocks by what they became: a real auto-round kernel
(a `QuantLinear` class whose tensors all loaded), a plain 16-bit Linear with its weight loaded
(layers the checkpoint keeps in 16 bits), a fallback (FakeActQuantLinear, another class), or
uninitialised (any of its tensors in the loader's missing keys). Then measures PPL with
AutoScheme's evaluation protocol (evalproto.py), compares it with a reference `autoscheme eval
--json` result, and runs a short greedy generation. Writes one JSON object to --json.

Pass: every layer is a real kernel or a loaded 16-bit layer, the forward pass runs, and the PPL is
within --tolerance (relative) of the reference.
"""
import argparse
import json
import logging
import os
import re
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evalproto  # noqa: E402

LINEAR = re.compile(r"^model\.layers\.\d+\.(self_attn|mlp)\.[a-z_]+_proj$")


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        try:
            self.lines.append(record.getMessage())
        except Exception:  # a malformed log record must not break the check
            pass


def classify(model, missing, kept16):
    """{name: kind} for the decoder blocks' linear layers; kinds: kernel, kept16, fallback, uninitialised."""
    import torch
    out, classes = {}, {}
    for name, m in model.named_modules():
        if not LINEAR.match(name):
            continue
        cls = type(m).__name__
        classes[cls] = classes.get(cls, 0) + 1
        if any(k.startswith(name + ".") for k in missing):
            kind = "uninitialised"
        elif "QuantLinear" in cls and "Fake" not in cls:
            kind = "kernel"
        elif type(m) is torch.nn.Linear and name in kept16:
            kind = "kept16"
        else:
            kind = "fallback"
        out[name] = {"kind": kind, "class": f"{type(m).__module__}.{cls}"}
    return out, classes


def kept_16bit(config_path):
    with open(config_path) as f:
        q = json.load(f).get("quantization_config", {})
    extra = q.get("extra_config", {}) or {}
    return {k for k, v in extra.items() if int(v.get("bits", q.get("bits", 4))) >= 16}


def load(folder, dtype_name):
    import torch
    from transformers import AutoModelForCausalLM
    dtype = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype_name]
    model, info = AutoModelForCausalLM.from_pretrained(folder, device_map="cpu", dtype=dtype,
                                                       output_loading_info=True)
    model.eval()
    return model, info


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("--text", required=True)
    p.add_argument("--ctx", type=int, default=512)
    p.add_argument("--windows", type=int, default=16)
    p.add_argument("--reference", help="`autoscheme eval --json` output for the same folder")
    p.add_argument("--tolerance", type=float, default=0.01)
    p.add_argument("--dtype", default="float32", choices=["auto", "float32", "bfloat16", "float16"])
    p.add_argument("--prompt", default="Alice was beginning to get very tired of sitting by her sister on the bank,")
    p.add_argument("--json", required=True)
    a = p.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    collect = Collect()
    logging.getLogger().addHandler(collect)
    for name in ("transformers", "autoround", "auto_round", "accelerate"):
        logging.getLogger(name).addHandler(collect)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").addHandler(collect)

    result = {"runtime": "transformers + auto-round", "checkpoint": os.path.abspath(a.checkpoint),
              "versions": evalproto.versions("torch", "transformers", "auto-round", "accelerate",
                                             "safetensors", "tokenizers", "numpy"),
              "dtype": a.dtype, "passed": False}
    try:
        start = time.time()
        model, info = load(a.checkpoint, a.dtype)
        result["load_seconds"] = round(time.time() - start, 1)
        missing = sorted(info.get("missing_keys", []))
        unexpected = sorted(info.get("unexpected_keys", []))
        layers, classes = classify(model, set(missing), kept_16bit(os.path.join(a.checkpoint, "config.json")))
        kinds = {}
        for v in layers.values():
            kinds[v["kind"]] = kinds.get(v["kind"], 0) + 1
        result.update(layers_total=len(layers), kinds=kinds, classes=classes,
                      missing_keys=len(missing), unexpected_keys=len(unexpected),
                      missing_examples=missing[:6], unexpected_examples=unexpected[:6],
                      not_in_kernel=sorted(n for n, v in layers.items() if v["kind"] in ("fallback", "uninitialised")),
                      backend_lines=sorted({l for l in collect.lines if "selected" in l or "backend" in l.lower()})[:12],
                      model_dtype=str(next(model.parameters()).dtype))
        ids = evalproto.token_ids(a.text, evalproto.tokenizer_json(a.checkpoint))
        result["eval"] = evalproto.perplexity(model, ids, a.ctx, a.windows)
        result["generation"] = {"prompt": a.prompt,
                                "continuation": evalproto.greedy(model, evalproto.tokenizer_json(a.checkpoint), a.prompt)}
    except Exception as e:  # report, don't hide: the check failed
        result["error"] = f"{type(e).__name__}: {e}"
        result["traceback"] = traceback.format_exc()[-4000:]
    if a.reference:
        with open(a.reference) as f:
            result["reference_ppl"] = json.load(f)["ppl"]
        if "eval" in result:
            result["ppl_rel_diff"] = result["eval"]["ppl"] / result["reference_ppl"] - 1
    loaded_all = result.get("layers_total", 0) > 0 and not result.get("not_in_kernel")
    ppl_ok = "ppl_rel_diff" in result and abs(result["ppl_rel_diff"]) <= a.tolerance
    result["passed"] = bool(loaded_all and ppl_ok and "error" not in result)
    result["log_tail"] = collect.lines[-30:]
    with open(a.json, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    print(json.dumps({k: result.get(k) for k in ("passed", "layers_total", "kinds", "error", "reference_ppl", "ppl_rel_diff")}))


if __name__ == "__main__":
    main()
