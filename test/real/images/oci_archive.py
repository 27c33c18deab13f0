"""Writes a one-layer OCI image archive (an image layout in a tar) that `ctr images import` loads, with no registry,
no docker and no image tool: the real node's images are made from files this machine already has.

    python3 oci_archive.py --out x.tar --name aigw.test/pause:1 --entrypoint '["/pause"]' \\
        --layer-dir rootfs/ [--layer-tar base.tar] [--env K=V ...] [--user 65532:65532] [--workdir /]

The layer holds --layer-tar's members (e.g. mmdebstrap's root file system) and then the files under each
--layer-dir, later ones replacing earlier ones of the same path. Every member is owned by root with time 0, so the
same inputs give the same digests.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import tarfile

# Image fields as the OCI image specification names them (image-spec config.md, manifest.md, image-layout.md).
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def member_name(name):
    """A tar member's path without a leading "./" or "/" (mmdebstrap writes "./usr/…")."""
    while name.startswith("./"):
        name = name[2:]
    return name.lstrip("/") or "."


def normalised(info):
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = 0
    return info


def layer_tar(layer_tars, layer_dirs):
    """The uncompressed layer: members of the given tars, then of the given folders, each path once (last wins)."""
    members = {}
    for path in layer_tars:
        with tarfile.open(path) as source:
            for info in source.getmembers():
                name = member_name(info.name)
                if name == ".":
                    continue
                data = source.extractfile(info).read() if info.isreg() else None
                info.name = name
                if info.islnk():
                    info.linkname = member_name(info.linkname)
                members[name] = (normalised(info), data)
    for root in layer_dirs:
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            for entry in sorted(dirs) + sorted(files):
                full = os.path.join(folder, entry)
                name = os.path.relpath(full, root)
                info = tarfile.TarInfo(name)
                st = os.lstat(full)
                info.mode = st.st_mode & 0o7777
                if os.path.islink(full):
                    info.type, info.linkname = tarfile.SYMTYPE, os.readlink(full)
                    data = None
                elif os.path.isdir(full):
                    info.type = tarfile.DIRTYPE
                    data = None
                else:
                    with open(full, "rb") as f:
                        data = f.read()
                    info.size = len(data)
                members[name] = (normalised(info), data)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(members):
            info, data = members[name]
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def blob(archive, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    info = normalised(tarfile.TarInfo("blobs/sha256/" + digest.split(":")[1]))
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))
    return digest


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--name", required=True, help="the full reference ctr imports it as")
    parser.add_argument("--entrypoint", required=True, help="a JSON list")
    parser.add_argument("--cmd", default="[]", help="a JSON list")
    parser.add_argument("--layer-tar", action="append", default=[])
    parser.add_argument("--layer-dir", action="append", default=[])
    parser.add_argument("--env", action="append", default=[])
    parser.add_argument("--user", default="")
    parser.add_argument("--workdir", default="/")
    args = parser.parse_args()

    raw = layer_tar(args.layer_tar, args.layer_dir)
    # Level 1: the archive is read once, locally; the best ratio costs minutes on the Python image.
    compressed = gzip.compress(raw, compresslevel=1, mtime=0)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Entrypoint": json.loads(args.entrypoint),
            "Cmd": json.loads(args.cmd),
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"] + args.env,
            "User": args.user,
            "WorkingDir": args.workdir,
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
    }
    tmp = args.out + ".tmp"
    with tarfile.open(tmp, "w") as archive:
        config_bytes = json.dumps(config, sort_keys=True).encode()
        layer_digest = blob(archive, compressed)
        config_digest = blob(archive, config_bytes)
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": MANIFEST,
                "config": {"mediaType": CONFIG, "digest": config_digest, "size": len(config_bytes)},
                "layers": [{"mediaType": LAYER, "digest": layer_digest, "size": len(compressed)}],
            },
            sort_keys=True,
        ).encode()
        manifest_digest = blob(archive, manifest)
        tag = args.name.rsplit(":", 1)[1] if ":" in args.name.rsplit("/", 1)[-1] else "latest"
        index = {
            "schemaVersion": 2,
            "manifests": [
                {
                    "mediaType": MANIFEST,
                    "digest": manifest_digest,
                    "size": len(manifest),
                    "annotations": {"io.containerd.image.name": args.name, "org.opencontainers.image.ref.name": tag},
                }
            ],
        }
        for name, data in (("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", json.dumps(index).encode())):
            info = normalised(tarfile.TarInfo(name))
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
