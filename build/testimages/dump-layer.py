#!/usr/bin/env python3
"""Reads a layer blob (tar, or tar+gzip) with Python's tarfile and prints its entries in tar order as JSON.

  dump-layer.py LAYER

Output: a JSON array of {"name", "stored", "type" (file|dir|symlink|hardlink|other), "mode" (octal string, e.g. "0755"),
"uid", "gid", "pax" (every PAX record as tarfile reads it, tarinfo.pax_headers), "sha256" (hex of the file's bytes;
null for anything but a regular file)}. "name" is tarfile's (it drops a directory's trailing '/'); "stored" is the name
exactly as the archive holds it (the PAX path record, else the ustar prefix and name fields), so a trailing '/' or a
'//' inside shows.
An independent reader: none of ContainerTasks' code is used.
"""
import gzip
import hashlib
import io
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


def stored_name(member, data):
    if "path" in member.pax_headers:
        return member.pax_headers["path"]
    header = data[member.offset_data - tarfile.BLOCKSIZE:member.offset_data]
    name, prefix = tarfile.nts(header[0:100], "utf-8", "surrogateescape"), tarfile.nts(header[345:500], "utf-8", "surrogateescape")
    return prefix + "/" + name if prefix else name


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: dump-layer.py LAYER")
    entries = []
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        for member in tar:
            digest = None
            if member.isreg():
                digest = hashlib.sha256(tar.extractfile(member).read()).hexdigest()
            entries.append({"name": member.name, "stored": stored_name(member, data), "type": kind(member), "mode": format(member.mode, "04o"),
                            "uid": member.uid, "gid": member.gid, "pax": dict(member.pax_headers), "sha256": digest})
    json.dump(entries, sys.stdout)


if __name__ == "__main__":
    main()
