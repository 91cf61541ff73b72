"""Run every benchmark of tests/bench (bench_*.py) against the lab, one after the other.

Each benchmark prints its own measurements and exits non-zero when it misses its target.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for bench in sorted(HERE.glob("bench_*.py")):
        print(f"== {bench.stem}", flush=True)
        if subprocess.run([sys.executable, str(bench)], check=False).returncode != 0:
            failed.append(bench.stem)
    if failed:
        print(f"missed target: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
