"""Rebuild wheels of already-installed distributions, for offline installs.

The test suite installs securememory into a fresh virtual environment with
`pip install --no-index`, so it needs wheels of its dependencies (cffi,
pycparser) and of the test tools (pytest, hypothesis, and what they
require) without reaching PyPI. They are installed in the environment
running this script (the project's .venv); a wheel is a zip of exactly the
files an installation lists in its RECORD, so this repacks those files
(minus what pip added at install time: INSTALLER, REQUESTED,
direct_url.json, byte code and scripts) under the original WHEEL tags, with
a fresh RECORD.

    python wheelhouse.py OUT_DIR NAME...   # NAME and everything it requires
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import pathlib
import re
import sys
import zipfile

from packaging.requirements import Requirement

_ADDED_BY_PIP = {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"}


def _tags(wheel_text: str) -> str:
    tags = [
        line.split(":", 1)[1].strip()
        for line in wheel_text.splitlines()
        if line.startswith("Tag:")
    ]
    parts = [t.split("-") for t in tags]
    return "-".join(".".join(dict.fromkeys(p[i] for p in parts)) for i in range(3))


def repack(name: str, out_dir: pathlib.Path) -> pathlib.Path:
    """Write a wheel of the installed distribution `name` into out_dir."""
    dist = importlib.metadata.distribution(name)
    files = [f for f in dist.files or [] if ".." not in f.parts and "__pycache__" not in f.parts]
    info = next(f.parts[0] for f in files if f.parts[0].endswith(".dist-info"))
    wheel_text = (pathlib.Path(dist.locate_file(f"{info}/WHEEL"))).read_text()
    norm = re.sub(r"[-_.]+", "_", dist.metadata["Name"]).lower()
    path = out_dir / f"{norm}-{dist.version}-{_tags(wheel_text)}.whl"
    record = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as whl:
        for f in files:
            if f.parts[0] == info and f.name in _ADDED_BY_PIP:
                continue
            data = pathlib.Path(dist.locate_file(f)).read_bytes()
            arc = f.as_posix()
            whl.writestr(arc, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{arc},sha256={digest.decode()},{len(data)}")
        record.append(f"{info}/RECORD,,")
        whl.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def requirements_closure(names: list[str]) -> list[str]:
    """The installed distributions `names` need, themselves included: every
    requirement whose marker holds here (no extras), followed recursively."""
    seen: dict[str, str] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        dist = importlib.metadata.distribution(name)
        seen[key] = dist.metadata["Name"]
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return sorted(seen.values(), key=str.lower)


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print("usage: wheelhouse.py OUT_DIR NAME...", file=sys.stderr)
        return 2
    out = pathlib.Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name in requirements_closure(argv[2:]):
        print(repack(name, out).name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
