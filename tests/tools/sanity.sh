#!/usr/bin/env bash
# ansible-test sanity on the working tree (tracked and new files, not ignored ones).
# ansible-test wants the collection at ansible_collections/<namespace>/<name>/ and its own
# pip bootstrap script: the collection's files are copied to a scratch folder, and the bootstrap script is
# tests/tools/get_pip_offline.py (bundled pip, then the package index).
# Usage: tests/tools/sanity.sh [ansible-test sanity options, e.g. --test pep8]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
ansible_test=$(dirname "$python")/ansible-test
# one scratch folder per checkout: runs from two worktrees at once must not delete each other's copy
scratch=${SANITY_SCRATCH:-${TMPDIR:-/tmp}/smeplatform-sanity-$(printf %s "$root" | sha256sum | cut -c1-12)}
dest=$scratch/ansible_collections/smeplatform/deploy

pip_version=$("$python" - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
import sys
print(get_venv_packages(NativePythonConfig(version="%d.%d" % sys.version_info[:2]))["pip"])
PY
)
cache=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
mkdir -p "$(dirname "$cache")"
cmp -s "$root/tests/tools/get_pip_offline.py" "$cache" 2>/dev/null || cp "$root/tests/tools/get_pip_offline.py" "$cache"

rm -rf "$dest"
mkdir -p "$dest"
# What the collection ships (galaxy.yml's build_ignore leaves out the lab, Molecule scenarios and our
# inventories: they are not part of the collection), plus its unit and integration tests.
(cd "$root" && git ls-files -z --cached --others --exclude-standard | "$python" -c '
import fnmatch, os, sys, yaml
ignore = yaml.safe_load(open("galaxy.yml"))["build_ignore"]
def ignored(path):
    parts = path.split("/")
    return any(fnmatch.fnmatch("/".join(parts[:n]), pattern) for n in range(1, len(parts) + 1) for pattern in ignore)
for path in sys.stdin.read().split("\0"):
    if path and os.path.lexists(path) and not ignored(path):
        sys.stdout.write(path + "\0")
' | xargs -0 cp --parents -P -t "$dest")
# ansible-test lists the collection's files through git: give the copy its own repository
git -C "$dest" init -q
git -C "$dest" add -A
git -C "$dest" -c user.name=sanity -c user.email=sanity@localhost commit -q -m sanity

cd "$dest"
py_version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
exec "$ansible_test" sanity --color no --python "$py_version" --requirements "$@"
