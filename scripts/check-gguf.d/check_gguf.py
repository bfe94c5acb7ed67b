"""Reads a GGUF file with the PyPI `gguf` package (llama.cpp's gguf-py) and checks it.

Run by scripts/check-gguf inside its venv; see that script for the options. Checks, always:
  - gguf.GGUFReader opens the file (magic, version, every key/value pair, every tensor info);
  - ggml's rules that GGUFReader does not check itself: tensor names under 64 bytes, 1 to 4
    dimensions, rows of whole blocks, the data section aligned, each tensor's offset equal to
    the previous one plus its size padded to the alignment (llama.cpp refuses any other), every
    tensor inside the file and the file ending at the padded end of the last tensor.
With --expect FILE (JSON, the layout --json writes): the key/value pairs in order with their types
and values (floats as IEEE bit patterns), the tensors in order with name, ggml type id, dimensions
(ggml order, innermost first) and, where given, the sha256 of their bytes.
With --same-data-as OTHER.gguf: every tensor's bytes equal those of the same-named tensor of OTHER.
Prints one line on success; the differences (at most 20) and exit status 1 otherwise.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
from gguf import GGML_QUANT_SIZES, GGUFReader, GGUFValueType

FLOAT_BITS = {GGUFValueType.FLOAT32: np.uint32, GGUFValueType.FLOAT64: np.uint64}


def scalar(field_parts, vtype):
    """One scalar's value from its parts (floats as their bit patterns)."""
    if vtype == GGUFValueType.STRING:
        return bytes(field_parts[-1]).decode("utf-8")
    array = field_parts[-1]
    if vtype in FLOAT_BITS:
        return int(array.view(FLOAT_BITS[vtype])[0])
    if vtype == GGUFValueType.BOOL:
        return bool(array[0])
    return int(array[0])


def kv_entry(field):
    """{"key", "type", ["element_type"], "value"} of one key/value pair."""
    main = field.types[0]
    entry = {"key": field.name, "type": main.name}
    if main != GGUFValueType.ARRAY:
        entry["value"] = scalar(field.parts, main)
        return entry
    sub = field.types[-1] if len(field.types) > 1 else None
    entry["element_type"] = sub.name if sub is not None else None
    if len(field.types) > 2:
        entry["value"] = "nested arrays"
    elif sub == GGUFValueType.STRING:
        entry["value"] = [bytes(field.parts[i]).decode("utf-8") for i in field.data]
    elif sub is None:
        entry["value"] = []
    else:
        values = np.concatenate([field.parts[i] for i in field.data])
        if sub in FLOAT_BITS:
            values = values.view(FLOAT_BITS[sub])
        entry["value"] = [bool(v) for v in values] if sub == GGUFValueType.BOOL else [int(v) for v in values]
    return entry


def tensor_entry(reader, tensor, with_hash):
    entry = {"name": tensor.name, "type": int(tensor.tensor_type), "type_name": tensor.tensor_type.name,
             "dims": [int(d) for d in tensor.shape], "offset": tensor.data_offset - reader.data_offset,
             "n_bytes": int(tensor.n_bytes)}
    if with_hash:
        entry["sha256"] = hashlib.sha256(np.ascontiguousarray(tensor.data).view(np.uint8)).hexdigest()
    return entry


def layout_problems(reader, size):
    """ggml's layout rules (gguf.cpp's gguf_init_from_file_impl) that GGUFReader leaves unchecked."""
    problems = []
    align = int(reader.alignment)
    if reader.tensors and reader.data_offset % align:
        problems.append(f"data section starts at {reader.data_offset}, not a multiple of the alignment {align}")
    expected = 0
    for t in reader.tensors:
        block, _ = GGML_QUANT_SIZES[t.tensor_type]
        dims = [int(d) for d in t.shape]
        if len(t.name.encode("utf-8")) >= 64:
            problems.append(f"tensor '{t.name}': name of {len(t.name.encode())} bytes, ggml reads at most 63")
        if not 1 <= len(dims) <= 4:
            problems.append(f"tensor '{t.name}': {len(dims)} dimensions, ggml reads 1 to 4")
        if dims and dims[0] % block:
            problems.append(f"tensor '{t.name}': rows of {dims[0]} are not whole {t.tensor_type.name} blocks of {block}")
        offset = t.data_offset - reader.data_offset
        if offset != expected:
            problems.append(f"tensor '{t.name}': offset {offset}, llama.cpp expects {expected}")
        if t.data_offset + t.n_bytes > size:
            problems.append(f"tensor '{t.name}': bytes {t.data_offset}..{t.data_offset + t.n_bytes} beyond the file's {size}")
        expected = offset + (t.n_bytes + align - 1) // align * align
    if reader.tensors and reader.data_offset + expected != size:
        problems.append(f"file has {size} bytes, the padded data section ends at {reader.data_offset + expected}")
    return problems


def compare(got, want):
    """Differences between a summary and an expectation."""
    problems = []
    got_keys, want_keys = [e["key"] for e in got["kv"]], [e["key"] for e in want.get("kv", [])]
    if "kv" in want and got_keys != want_keys:
        missing = [k for k in want_keys if k not in got_keys]
        extra = [k for k in got_keys if k not in want_keys]
        problems.append(f"keys differ: missing {missing[:5]}, unexpected {extra[:5]}" if missing or extra
                        else f"keys in another order: {got_keys} != {want_keys}")
    by_key = {e["key"]: e for e in got["kv"]}
    for w in want.get("kv", []):
        g = by_key.get(w["key"])
        if g is None:
            continue
        for field in ("type", "element_type", "value"):
            if field in w and g.get(field) != w[field]:
                shown = str(g.get(field))[:80], str(w[field])[:80]
                problems.append(f"key '{w['key']}' {field}: read {shown[0]}, expected {shown[1]}")
    if "tensors" in want:
        got_names, want_names = [t["name"] for t in got["tensors"]], [t["name"] for t in want["tensors"]]
        if got_names != want_names:
            problems.append(f"tensor names differ: read {len(got_names)} tensors, expected {len(want_names)}; "
                            f"first difference at {next((i for i, (a, b) in enumerate(zip(got_names, want_names)) if a != b), min(len(got_names), len(want_names)))}")
        tensors = {t["name"]: t for t in got["tensors"]}
        for w in want["tensors"]:
            g = tensors.get(w["name"])
            for field in ("type", "dims", "sha256"):
                if g is not None and field in w and g.get(field) != w[field]:
                    problems.append(f"tensor '{w['name']}' {field}: read {g.get(field)}, expected {w[field]}")
    return problems


def same_data(reader, other_path):
    other = {t.name: t for t in GGUFReader(other_path).tensors}
    problems = []
    for t in reader.tensors:
        o = other.get(t.name)
        if o is None:
            problems.append(f"tensor '{t.name}' is not in {other_path}")
        elif o.tensor_type != t.tensor_type or [int(d) for d in o.shape] != [int(d) for d in t.shape]:
            problems.append(f"tensor '{t.name}': {t.tensor_type.name} {list(t.shape)} here, {o.tensor_type.name} {list(o.shape)} in {other_path}")
        elif not np.array_equal(np.ascontiguousarray(t.data).view(np.uint8), np.ascontiguousarray(o.data).view(np.uint8)):
            problems.append(f"tensor '{t.name}': bytes differ from {other_path}")
    return problems


def main():
    parser = argparse.ArgumentParser(prog="check-gguf")
    parser.add_argument("file")
    parser.add_argument("--expect", help="JSON expectation (the layout --json writes)")
    parser.add_argument("--same-data-as", help="a GGUF whose same-named tensors must hold the same bytes")
    parser.add_argument("--json", help="write what was read (key/value pairs, tensors with sha256) to this file")
    args = parser.parse_args()
    try:
        reader = GGUFReader(args.file)
    except Exception as error:  # the reader's own refusal is the finding
        print(f"check-gguf: {args.file}: gguf {error.__class__.__name__}: {error}", file=sys.stderr)
        return 1
    size = os.path.getsize(args.file)
    want = None
    if args.expect:
        with open(args.expect, encoding="utf-8") as f:
            want = json.load(f)
    with_hash = bool(args.json) or any("sha256" in t for t in (want or {}).get("tensors", []))
    got = {"alignment": int(reader.alignment), "data_offset": int(reader.data_offset),
           "kv": [kv_entry(f) for f in reader.fields.values() if not f.name.startswith("GGUF.")],
           "tensors": [tensor_entry(reader, t, with_hash) for t in reader.tensors]}
    problems = layout_problems(reader, size)
    if want is not None:
        problems += compare(got, want)
    if args.same_data_as:
        problems += same_data(reader, args.same_data_as)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(got, f, ensure_ascii=False, indent=1)
    if problems:
        for p in problems[:20]:
            print(f"check-gguf: {args.file}: {p}", file=sys.stderr)
        if len(problems) > 20:
            print(f"check-gguf: {args.file}: ... and {len(problems) - 20} more", file=sys.stderr)
        return 1
    checked = " against " + " and ".join(x for x in (args.expect and "the expectation", args.same_data_as) if x) \
        if args.expect or args.same_data_as else ""
    print(f"check-gguf: {args.file}: gguf {reader.fields['GGUF.version'].parts[0][0]} file, {len(got['kv'])} keys, "
          f"{len(got['tensors'])} tensors, alignment {got['alignment']}: ok{checked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
