#!/usr/bin/env python3
"""Writes Windows-shaped base images into an OCI image layout, with the Python standard library only.

  make-windows-base.py --out LAYOUT --tag TAG [--kind runtime|aspnet] [--format oci|docker]
                       [--os-version V] [--arch amd64|arm64] [--features F[,F...]] [--foreign]
  make-windows-base.py --out LAYOUT --index TAG --from TAG1,TAG2,...

The first form writes one image shaped like Microsoft's nanoserver .NET runtime image (made without
ContainerTasks, so reading it tests our readers against an independent writer):
  - config: os windows, the architecture, os.version (and os.features) as the registry's configs carry them,
    Env Path/DOTNET_VERSION/DOTNET_RUNNING_IN_CONTAINER (+ ASPNETCORE_HTTP_PORTS for aspnet), User ContainerUser,
    Cmd cmd.exe, one history entry per layer;
  - one layer in the Windows layer format: Files/ (Windows/System32 with small fake DLLs, Program Files/dotnet/dotnet.exe)
    and Hives/ (fake *_Delta hives), every entry with the PAX records MSWINDOWS.rawsd and MSWINDOWS.fileattr;
  - --foreign adds a FIRST layer as a foreign layer (application/vnd.docker.image.rootfs.foreign.diff.tar.gzip with
    urls on mcr.microsoft.com). Its diff_id is in the config, but its blob is NOT written: registries never hold it.
    Foreign layers exist only in Docker v2 manifests, so --foreign implies --format docker.
--format docker writes a Docker v2 schema 2 manifest (Docker media types), oci (default) an OCI manifest.

The second form writes an OCI index listing images already in the layout, in the order given; each entry's platform
(os, architecture, variant, os.version, os.features) is read from that image's config, as MCR's indexes carry it.

Reproducible: every tar entry has mtime 2024-01-01T00:00:00Z, gzip headers have mtime 0, JSON is written compactly
with sorted keys. An existing TAG is replaced (older blobs are left in place). Prints one line per image written:
"LAYOUT:TAG sha256:<manifest digest>".
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import struct
import sys
import tarfile

EPOCH = 1704067200
CREATED = "2024-01-01T00:00:00Z"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_FOREIGN = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_ARCHIVE = 0x10, 0x20


def security_descriptor(rid):
    """A self-relative security descriptor (control SE_SELF_RELATIVE) whose owner and group are S-1-5-RID, no DACL/SACL."""
    sid = struct.pack("<BB6sI", 1, 1, b"\0\0\0\0\0\x05", rid)
    header = struct.pack("<BBHIIII", 1, 0, 0x8000, 20, 20 + len(sid), 0, 0)
    return base64.b64encode(header + sid + sid).decode("ascii")


# Owner and group NT AUTHORITY\SYSTEM (S-1-5-18): not the SD the SDK's built-in writes (BUILTIN\Users), so a test
# can tell base entries from app entries.
BASE_SD = security_descriptor(18)


def windows_layer(files):
    """A gzip tar in the Windows layer format: Files/ then the given files (parents first), then Hives/."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        written = set()

        def add(name, data=None):
            info = tarfile.TarInfo(name)
            info.mtime = EPOCH
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            directory = data is None
            info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
            info.mode = 0o755 if directory else 0o644
            info.pax_headers = {
                "MSWINDOWS.rawsd": BASE_SD,
                "MSWINDOWS.fileattr": str(FILE_ATTRIBUTE_DIRECTORY if directory else FILE_ATTRIBUTE_ARCHIVE),
            }
            if directory:
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))

        for name, data in files:
            parts = name.split("/")
            for i in range(1, len(parts)):
                parent = "/".join(parts[:i]) + "/"
                if parent not in written:
                    written.add(parent)
                    add(parent)
            add(name, data)
    diff = raw.getvalue()
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0, filename="") as gz:
        gz.write(diff)
    return compressed.getvalue(), "sha256:" + hashlib.sha256(diff).hexdigest()


def fake(label, size=64):
    """Deterministic fake file bytes (a PE-like 'MZ' start for executables and DLLs)."""
    seed = hashlib.sha256(label.encode()).digest()
    return (b"MZ" + (seed * (size // len(seed) + 1)))[:size]


def runtime_files(os_version, arch):
    hive_names = ["DefaultUser_Delta", "Sam_Delta", "Security_Delta", "Software_Delta", "System_Delta"]
    return ([(f"Files/Windows/System32/{dll}", fake(f"{dll} {os_version} {arch}")) for dll in ["kernel32.dll", "ntdll.dll", "cmd.exe"]]
            + [("Files/Program Files/dotnet/dotnet.exe", fake(f"dotnet.exe 10.0.0 {arch}", 256))]
            + [(f"Hives/{hive}", b"regf" + fake(hive, 60)) for hive in hive_names])


def blob_path(layout, digest):
    return os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1])


def write_blob(layout, data, media_type):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob_path(layout, digest), "wb") as f:
        f.write(data)
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def to_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def image(args):
    """Writes the image's layer, config and manifest blobs; returns the manifest descriptor."""
    docker = args.format == "docker" or args.foreign
    layers, diff_ids, history = [], [], []
    if args.foreign:
        # The servercore-like base layer: a real gzip tar, so digest, size and diff_id agree, but never written.
        blob, diff_id = windows_layer([("Files/Windows/System32/servercore.dll", fake("servercore " + args.os_version, 128))])
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        layers.append({"mediaType": DOCKER_FOREIGN, "digest": digest, "size": len(blob),
                       "urls": [f"https://mcr.microsoft.com/v2/windows/servercore/blobs/{digest}"]})
        diff_ids.append(diff_id)
        history.append({"created": CREATED, "created_by": f"Apply image {args.os_version}"})
    blob, diff_id = windows_layer(runtime_files(args.os_version, args.arch))
    layers.append(write_blob(args.out, blob, DOCKER_LAYER if docker else OCI_LAYER))
    diff_ids.append(diff_id)
    history.append({"created": CREATED, "created_by": "Install .NET 10.0.0 runtime" if args.foreign else f"Apply image {args.os_version}"})

    env = ["Path=C:\\Windows\\system32;C:\\Windows;C:\\Program Files\\dotnet", "DOTNET_VERSION=10.0.0", "DOTNET_RUNNING_IN_CONTAINER=true"]
    if args.kind == "aspnet":
        env.append("ASPNETCORE_HTTP_PORTS=8080")
    config = {"architecture": args.arch, "os": "windows", "os.version": args.os_version, "created": CREATED,
              "config": {"Env": env, "Cmd": ["c:\\windows\\system32\\cmd.exe"], "User": "ContainerUser"},
              "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": history}
    if args.features:
        config["os.features"] = args.features.split(",")
    manifest = {"schemaVersion": 2, "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
                "config": write_blob(args.out, to_json(config), DOCKER_CONFIG if docker else OCI_CONFIG), "layers": layers}
    return write_blob(args.out, to_json(manifest), manifest["mediaType"])


def index(args, tagged):
    """Writes an OCI index of the tagged images named by --from; returns its descriptor."""
    entries = []
    for tag in args.sources.split(","):
        if tag not in tagged:
            sys.exit(f"make-windows-base.py: tag {tag} not found in {args.out}")
        descriptor = {key: tagged[tag][key] for key in ("mediaType", "digest", "size")}
        with open(blob_path(args.out, descriptor["digest"]), "rb") as f:
            manifest = json.load(f)
        with open(blob_path(args.out, manifest["config"]["digest"]), "rb") as f:
            config = json.load(f)
        platform = {"architecture": config["architecture"], "os": config["os"]}
        for key in ("variant", "os.version", "os.features"):
            if key in config:
                platform[key] = config[key]
        descriptor["platform"] = platform
        entries.append(descriptor)
    return write_blob(args.out, to_json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}), OCI_INDEX)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--tag")
    parser.add_argument("--kind", choices=["runtime", "aspnet"], default="runtime")
    parser.add_argument("--format", choices=["oci", "docker"], default="oci")
    parser.add_argument("--os-version", default="10.0.20348.2700")
    parser.add_argument("--arch", choices=["amd64", "arm64"], default="amd64")
    parser.add_argument("--features", default="")
    parser.add_argument("--foreign", action="store_true")
    parser.add_argument("--index", help="write an OCI index under this tag")
    parser.add_argument("--from", dest="sources", help="with --index: the tags it lists, in order")
    args = parser.parse_args()
    tag = args.index or args.tag
    if not tag or (args.index is None) != (args.sources is None):
        parser.error("give --tag for an image, or --index with --from")

    os.makedirs(os.path.join(args.out, "blobs", "sha256"), exist_ok=True)
    layout_file, index_file = os.path.join(args.out, "oci-layout"), os.path.join(args.out, "index.json")
    if not os.path.exists(layout_file):
        with open(layout_file, "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
    top = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_file):
        with open(index_file) as f:
            top = json.load(f)
    tagged = {m.get("annotations", {}).get("org.opencontainers.image.ref.name"): m for m in top["manifests"]}

    descriptor = index(args, tagged) if args.index else image(args)
    descriptor["annotations"] = {"org.opencontainers.image.ref.name": tag}
    top["manifests"] = [m for m in top["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    top["manifests"].append(descriptor)
    with open(index_file, "wb") as f:
        f.write(to_json(top))
    print(f"{args.out}:{tag} {descriptor['digest']}")


if __name__ == "__main__":
    main()
