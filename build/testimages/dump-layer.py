#!/usr/bin/env python3
"""Reads a layer blob (tar, or tar+gzip) with Python's tarfile and prints its entries in tar order as JSON.

  dump-layer.py LAYER

Output: a JSON array of {"name", "type" (file|dir|symlink|hardlink|other), "mode" (octal string, e.g. "0755"),
"uid", "gid", "pax" (every PAX record as tarfile reads it, tarinfo.pax_headers), "sha256" (hex of the file's bytes;
null for anything but a regular file)}. Names are as stored (a directory's trailing '/' is dropped by tarfile).
An independent reader: none of ContainerTasks' code is used.
"""
import hashlib
import json
import sys
import tarfile


def kind(member):
    if member.isreg():
        return "file"
    if member.isdir():
        return "dir"
    if member.issym():
        return "symlink"
    return "hardlink" if member.islnk() else "other"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: dump-layer.py LAYER")
    entries = []
    with tarfile.open(sys.argv[1], "r:*") as tar:
        for member in tar:
            digest = None
            if member.isreg():
                digest = hashlib.sha256(tar.extractfile(member).read()).hexdigest()
            entries.append({"name": member.name, "type": kind(member), "mode": format(member.mode, "04o"),
                            "uid": member.uid, "gid": member.gid, "pax": dict(member.pax_headers), "sha256": digest})
    json.dump(entries, sys.stdout)


if __name__ == "__main__":
    main()
