"""Kernel-level faults for tests of the job, in a mount namespace of the process's own: a full disk, a
read-only directory, a device where a journal file should be."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

from tests.prereq import require


def full_disk(path: Path, device: str = "/dev/full") -> list[str]:
    """A command prefix under which every write to `path` fails with ENOSPC, as on a full disk: /dev/full
    (or `device`) bound over the file in a mount namespace of the run's own (a symbolic link would be
    refused)."""
    unshare = shutil.which("unshare")
    require(unshare is not None, "unshare", "apt-get install util-linux")
    mount = f'mount --bind {device} {shlex.quote(str(path))} && exec "$@"'
    return [str(unshare), "--mount", "--map-root-user", "sh", "-c", mount, "sh"]


def read_only_command(directory: Path, command: list[str]) -> list[str]:
    """`command` run with `directory` read-only: by its mode, or for root (whom modes do not stop) by a
    read-only bind mount in a mount namespace of its own."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        return command
    unshare = shutil.which("unshare")
    require(unshare is not None, "unshare (a read-only mount for root)", "apt-get install util-linux")
    probe = subprocess.run(
        [str(unshare), "--mount", "mount", "--bind", "-o", "ro", str(directory), str(directory)],
        capture_output=True,
        check=False,
    )
    require(probe.returncode == 0, "mount namespaces (unshare --mount as root)", "run as a non-root user")
    mount = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    return [str(unshare), "--mount", "sh", "-c", mount, str(directory), *command]
