"""Makes a Hugging Face fp32 folder from a GGUF file: transformers dequantizes the GGUF
(`from_pretrained(dir, gguf_file=name)`), the GGUF's `quantization_config` is dropped from the
config, and model + tokenizer are saved. The folder is written beside `out` and renamed into place.
"""
import argparse
import os
import shutil
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("gguf")
    p.add_argument("out")
    a = p.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    folder, name = os.path.split(os.path.abspath(a.gguf))
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    # The GGUF loader dequantizes every tensor; what is left of the GGUF "quantization" is metadata
    # that save_pretrained refuses to serialize.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config.dtype = torch.float32
    temp = a.out.rstrip("/") + ".tmp"
    shutil.rmtree(temp, ignore_errors=True)
    model.save_pretrained(temp)
    tokenizer.save_pretrained(temp)
    shutil.rmtree(a.out, ignore_errors=True)
    os.rename(temp, a.out)
    print(a.out)


if __name__ == "__main__":
    sys.exit(main())
