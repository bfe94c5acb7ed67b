"""AutoScheme's evaluation protocol, in PyTorch, for models loaded by other runtimes.

Same as `autoscheme eval` (Sources/Model/Evaluation/Evaluation.swift, EvaluationInputs.swift):
the text is read as UTF-8 with universal newlines and encoded with the model folder's
tokenizer.json, no BOS, special tokens not parsed; the ids are cut into consecutive,
non-overlapping windows of `ctx` tokens from the start; each window runs on its own and the
predictions of its tokens 1..ctx-1 are scored. PPL = exp(total NLL / predicted tokens), NLL summed
in float64.
"""
import math
import os
import time


def token_ids(text_path, tokenizer_json):
    from tokenizers import Tokenizer
    with open(text_path, encoding="utf-8", newline=None) as f:  # universal newlines
        text = f.read()
    tok = Tokenizer.from_file(tokenizer_json)
    return tok.encode(text, add_special_tokens=False).ids


def perplexity(model, ids, ctx=512, windows=16):
    """Returns {ppl, tokens, ctx, windows, seconds} for `model` (a causal LM returning logits)."""
    import torch
    available = len(ids) // ctx
    if windows > available:
        raise ValueError(f"text has {available} full windows of {ctx} tokens, {windows} requested")
    nll, predicted, start = 0.0, 0, time.time()
    with torch.inference_mode():
        for w in range(windows):
            window = torch.tensor([ids[w * ctx:(w + 1) * ctx]], dtype=torch.long)
            logits = model(input_ids=window).logits[0, :-1].to(torch.float64)
            logp = torch.log_softmax(logits, dim=-1)
            nll -= logp.gather(1, window[0, 1:].unsqueeze(1)).sum().item()
            predicted += ctx - 1
    return {"ppl": math.exp(nll / predicted), "tokens": predicted, "ctx": ctx, "windows": windows,
            "seconds": round(time.time() - start, 1)}


def greedy(model, tokenizer_json, prompt, new_tokens=40):
    """Greedy continuation of `prompt` (no BOS), decoded with the folder's tokenizer."""
    import torch
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(tokenizer_json)
    ids = tok.encode(prompt, add_special_tokens=False).ids
    with torch.inference_mode():
        out = model.generate(torch.tensor([ids]), max_new_tokens=new_tokens, do_sample=False,
                             attention_mask=torch.ones(1, len(ids), dtype=torch.long))
    return tok.decode(out[0, len(ids):].tolist())


def versions(*names):
    from importlib.metadata import version, PackageNotFoundError
    out = {}
    for n in names:
        try:
            out[n] = version(n)
        except PackageNotFoundError:
            out[n] = None
    return out


def tokenizer_json(folder):
    path = os.path.join(folder, "tokenizer.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{folder} has no tokenizer.json")
    return path
