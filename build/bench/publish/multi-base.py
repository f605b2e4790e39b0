#!/usr/bin/env python3
"""Adds a two-platform index to an OCI image layout, for the multi-platform app of build/bench/publish.sh.

    multi-base.py LAYOUT SOURCE_TAG INDEX_TAG

build/testimages/make-base.sh makes linux/amd64 images only (it copies the host's files). The index gets that
image as linux/amd64 and an arm64-labelled copy of it as linux/arm64/v8: the same layers, a config that differs
only in its architecture. Its files are x86-64, so the arm64 image does not run, but a publish only reads its
manifest and config and mounts its layers, which is all the benchmark needs (as RuntimeBases.PushTwoPlatformAsync
does for the integration tests). Push it with `skopeo copy --all oci:LAYOUT:INDEX_TAG docker://…`.
"""
import hashlib
import json
import os
import sys

OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def main():
    layout, source_tag, index_tag = sys.argv[1:]
    blobs = os.path.join(layout, "blobs", "sha256")

    def read_blob(digest):
        with open(os.path.join(blobs, digest.split(":", 1)[1]), "rb") as f:
            return f.read()

    def write_blob(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, digest.split(":", 1)[1]), "wb") as f:
            f.write(data)
        return digest

    index_path = os.path.join(layout, "index.json")
    with open(index_path) as f:
        top = json.load(f)
    tagged = [m for m in top["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == source_tag]
    if len(tagged) != 1:
        sys.exit(f"multi-base.py: tag {source_tag!r} not found once in {index_path}")
    amd64 = tagged[0]
    manifest = json.loads(read_blob(amd64["digest"]))
    config = json.loads(read_blob(manifest["config"]["digest"]))
    if config.get("architecture") != "amd64":
        sys.exit(f"multi-base.py: {source_tag} is {config.get('architecture')}, not amd64")

    config["architecture"], config["variant"] = "arm64", "v8"
    config_bytes = json.dumps(config, separators=(",", ":")).encode()
    manifest["config"] = dict(manifest["config"], digest=write_blob(config_bytes), size=len(config_bytes))
    manifest_bytes = json.dumps(manifest, separators=(",", ":")).encode()
    arm64 = {"mediaType": amd64["mediaType"], "digest": write_blob(manifest_bytes), "size": len(manifest_bytes)}

    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": amd64["mediaType"], "digest": amd64["digest"], "size": amd64["size"],
             "platform": {"architecture": "amd64", "os": "linux"}},
            dict(arm64, platform={"architecture": "arm64", "os": "linux", "variant": "v8"}),
        ],
    }
    index_bytes = json.dumps(index, separators=(",", ":")).encode()
    top["manifests"] = [m for m in top["manifests"]
                        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != index_tag]
    top["manifests"].append({"mediaType": OCI_INDEX, "digest": write_blob(index_bytes), "size": len(index_bytes),
                             "annotations": {"org.opencontainers.image.ref.name": index_tag}})
    with open(index_path, "w") as f:
        json.dump(top, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
