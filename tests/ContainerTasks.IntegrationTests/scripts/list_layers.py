"""Lists what the layers of an image add on top of its base, read with Python's tarfile.

usage: list_layers.py LAYOUT TAG BASE_LAYOUT BASE_TAG
Prints one line per entry of every layer of LAYOUT:TAG whose digest is not a layer of BASE_LAYOUT:BASE_TAG:
"TYPE PATH MODE UID:GID", sorted, with leading "./" and trailing "/" removed -- the file lists and modes
of two images built on the same base can then be compared line by line.
"""
import json
import os
import sys
import tarfile


def manifest(layout, tag):
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return json.load(open(blob(layout, m["digest"])))
    raise SystemExit(f"no tag {tag} in {layout}")


def blob(layout, digest):
    algorithm, hex_ = digest.split(":")
    return os.path.join(layout, "blobs", algorithm, hex_)


layout, tag, base_layout, base_tag = sys.argv[1:5]
base = {l["digest"] for l in manifest(base_layout, base_tag)["layers"]}
lines = set()
for layer in manifest(layout, tag)["layers"]:
    if layer["digest"] in base:
        continue
    with tarfile.open(blob(layout, layer["digest"]), "r:*") as tar:
        for m in tar.getmembers():
            kind = "file" if m.isreg() else "dir" if m.isdir() else "symlink" if m.issym() else "other"
            name = m.name[2:] if m.name.startswith("./") else m.name
            lines.add(f"{kind} {name.rstrip('/')} {m.mode:04o} {m.uid}:{m.gid}")
print("\n".join(sorted(lines)))
