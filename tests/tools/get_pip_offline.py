"""Stands in for pip's get-pip.py bootstrap script where only a package index is reachable.

ansible-test bootstraps pip into each sanity-test virtual environment with get-pip.py, which it
downloads from a host that is not a package index. This script does the same job from what is
already here: Python's bundled pip (ensurepip), then the pinned pip version ansible-test asks for
from the configured index. ansible-test runs it with get-pip.py's arguments (packages and options).
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys


def main() -> None:
    # ensurepip hides pip's configuration (PIP_CONFIG_FILE=/dev/null) in this process's environment;
    # the install from the index must see the machine's pip configuration (index, certificates)
    environment = dict(os.environ)
    ensurepip.bootstrap(upgrade=True)
    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *args], env=environment)


if __name__ == "__main__":
    main()
