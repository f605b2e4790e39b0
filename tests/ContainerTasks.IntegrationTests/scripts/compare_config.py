"""Independent check of an edited image config against its base.

usage: compare_config.py BASE.json NEW.json
Prints one line per problem and exits 1 if any. Checks, with Python's own JSON parser:
every top-level member and every member of "config" that the edit does not own is equal;
owned members changed only as specified (Env replaced in place or appended, labels/ports/volumes
added, history and diff_ids appended).
"""
import json
import sys

OWNED_TOP = {"created", "history", "rootfs", "config"}
OWNED_CONFIG = {"Env", "ExposedPorts", "Labels", "Entrypoint", "Cmd", "User", "WorkingDir", "Volumes"}

base = json.load(open(sys.argv[1], encoding="utf-8"))
new = json.load(open(sys.argv[2], encoding="utf-8"))
problems = []

for key in set(base) | set(new):
    if key not in OWNED_TOP and base.get(key) != new.get(key):
        problems.append(f"top-level {key!r} changed: {base.get(key)!r} -> {new.get(key)!r}")

bc, nc = base.get("config") or {}, new.get("config") or {}
for key in set(bc) | set(nc):
    if key not in OWNED_CONFIG and bc.get(key) != nc.get(key):
        problems.append(f"config {key!r} changed: {bc.get(key)!r} -> {nc.get(key)!r}")

# Env: every base entry either kept or replaced in place; new names only at the end.
benv, nenv = bc.get("Env") or [], nc.get("Env") or []
if len(nenv) < len(benv):
    problems.append("Env lost entries")
for i, entry in enumerate(benv):
    if i < len(nenv) and nenv[i].split("=", 1)[0] != entry.split("=", 1)[0]:
        problems.append(f"Env entry {i} moved: {entry!r} -> {nenv[i]!r}")
for key in ("Labels", "ExposedPorts", "Volumes"):
    missing = set(bc.get(key) or {}) - set(nc.get(key) or {})
    if missing:
        problems.append(f"{key} lost {sorted(missing)}")

bh, nh = base.get("history") or [], new.get("history") or []
if nh[: len(bh)] != bh:
    problems.append("base history entries changed")
bd, nd = base["rootfs"]["diff_ids"], new["rootfs"]["diff_ids"]
if nd[: len(bd)] != bd:
    problems.append("base diff_ids changed")
if new["rootfs"].get("type") != base["rootfs"].get("type"):
    problems.append("rootfs.type changed")
added_history = [h for h in nh[len(bh):] if not h.get("empty_layer")]
if len(added_history) != len(nd) - len(bd):
    problems.append(f"{len(nd) - len(bd)} layers added but {len(added_history)} non-empty history entries")

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
