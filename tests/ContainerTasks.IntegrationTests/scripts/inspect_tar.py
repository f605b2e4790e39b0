"""Reads a layer (tar or tar+gzip) with Python's tarfile and prints its members as JSON.

usage: inspect_tar.py LAYER
Output: {"gzip_header": hex of the first 10 bytes or null, "members": [{name, type, mode, uid, gid,
uname, gname, mtime, size, linkname, pax}]} -- an independent reader of what our writer produced.
"""
import gzip
import json
import sys
import tarfile

path = sys.argv[1]
with open(path, "rb") as f:
    head = f.read(10)
is_gzip = head[:2] == b"\x1f\x8b"
if is_gzip:
    # gzip.open checks the CRC-32 and length trailer when the stream is read to the end.
    with gzip.open(path, "rb") as g:
        while g.read(1 << 20):
            pass
members = []
with tarfile.open(path, "r:*") as tar:
    for m in tar.getmembers():
        kind = "file" if m.isreg() else "dir" if m.isdir() else "symlink" if m.issym() else "hardlink" if m.islnk() else "other"
        members.append({
            "name": m.name, "type": kind, "mode": m.mode, "uid": m.uid, "gid": m.gid,
            "uname": m.uname, "gname": m.gname, "mtime": int(m.mtime), "size": m.size,
            "linkname": m.linkname, "pax": sorted(m.pax_headers.keys()),
        })
print(json.dumps({"gzip_header": head.hex() if is_gzip else None, "members": members}))
