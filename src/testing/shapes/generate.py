#!/usr/bin/env python3
"""Reduce the AWS SDK's service models to the output shapes asldbg needs.

`asldbg init` answers a Task with a response shaped like its service's, and
`mocks check` and TestState's `fieldValidationMode` check a mocked result
against that shape, offline. The shapes come from botocore's service models
(`botocore/data/<service>/<version>/service-2.json.gz`, on PyPI), reduced to
each operation's output: the types, required members, enums and the
min/max constraints AWS validates, without documentation.

Usage: python3 generate.py BOTOCORE_DATA_DIR > aws-outputs.tsv && gzip -9n aws-outputs.tsv

Output: one line per service, `service-id<TAB>json`, the service id as Step
Functions names it in `arn:aws:states:::aws-sdk:SERVICE:action` (the
model's serviceId, lower case, spaces and hyphens removed), each member
name as Step Functions spells it in a result (first letter in upper case:
the SFN model's `executionArn` is `ExecutionArn`). The json is
{"ops": {Operation: shape index or null}, "shapes": [shape, ...]} where a
shape is {"t": kind, ...}:
  s string (e: enum, lo/hi: length)  B blob (lo/hi)  i integer/long (lo/hi)
  n float/double (lo/hi)  b boolean  t timestamp  a document (anything)
  l list (m: member)  m map (k, v)  o structure (m: {name: index}, r: required)
"""

import gzip
import json
import os
import sys

SCALAR = {
    "string": "s",
    "blob": "B",
    "integer": "i",
    "long": "i",
    "short": "i",
    "byte": "i",
    "float": "n",
    "double": "n",
    "bigdecimal": "n",
    "biginteger": "i",
    "boolean": "b",
    "timestamp": "t",
}


def cap(member):
    """A member as Step Functions spells it in a Task's result: its first
    letter in upper case (SFN's own `executionArn` is `ExecutionArn`)."""
    return member[:1].upper() + member[1:]


def service_id(model, folder):
    sid = model["metadata"].get("serviceId", folder)
    return sid.lower().replace(" ", "").replace("-", "")


def reduce(model):
    shapes = model["shapes"]
    out = []
    index = {}
    interned = {}

    def add(entry):
        key = json.dumps(entry, sort_keys=True)
        if key in interned:
            return interned[key]
        out.append(entry)
        interned[key] = len(out) - 1
        return len(out) - 1

    def bounds(entry, sh):
        for src, dst in (("min", "lo"), ("max", "hi")):
            if src in sh:
                entry[dst] = sh[src]
        return entry

    def enc(name):
        if name in index:
            return index[name]
        sh = shapes[name]
        t = sh["type"]
        if sh.get("document"):
            index[name] = add({"t": "a"})
        elif t in SCALAR:
            entry = {"t": SCALAR[t]}
            if t == "string" and "enum" in sh:
                entry["e"] = sh["enum"]
            if t in ("string", "blob", "integer", "long", "short", "byte",
                     "float", "double"):
                bounds(entry, sh)
            index[name] = add(entry)
        elif t == "structure":
            # Placeholder first: structures may refer to themselves.
            out.append(None)
            i = len(out) - 1
            index[name] = i
            members = {cap(k): enc(v["shape"]) for k, v in sh.get("members", {}).items()}
            entry = {"t": "o", "m": members}
            if sh.get("required"):
                entry["r"] = [cap(k) for k in sh["required"]]
            out[i] = entry
        elif t == "list":
            out.append(None)
            i = len(out) - 1
            index[name] = i
            out[i] = {"t": "l", "m": enc(sh["member"]["shape"])}
        elif t == "map":
            out.append(None)
            i = len(out) - 1
            index[name] = i
            out[i] = {"t": "m", "k": enc(sh["key"]["shape"]), "v": enc(sh["value"]["shape"])}
        else:
            raise SystemExit(f"unknown shape type {t} ({name})")
        return index[name]

    ops = {}
    for op, o in sorted(model["operations"].items()):
        ops[op] = enc(o["output"]["shape"]) if "output" in o else None
    return {"ops": ops, "shapes": out}


def main():
    root = sys.argv[1]
    import botocore  # noqa: only for the version line

    print(f"# botocore {botocore.__version__}")
    models = {}
    for folder in sorted(os.listdir(root)):
        d = os.path.join(root, folder)
        if not os.path.isdir(d):
            continue
        versions = sorted(
            v for v in os.listdir(d) if os.path.exists(os.path.join(d, v, "service-2.json.gz"))
        )
        if not versions:
            continue
        with gzip.open(os.path.join(d, versions[-1], "service-2.json.gz")) as f:
            model = json.load(f)
        sid = service_id(model, folder)
        # Two folders of one service (an old name kept): the newer model.
        if sid not in models or versions[-1] > models[sid][0]:
            models[sid] = (versions[-1], model)
    for sid, (_, model) in sorted(models.items()):
        print(sid + "\t" + json.dumps(reduce(model), separators=(",", ":")))


if __name__ == "__main__":
    main()
