"""Fixtures of the packaging tests: the galaxy tarball built from this checkout, installed into an empty path."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging_support import ROOT, isolated_env, run, tool


@pytest.fixture(scope="session")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    run([tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out), str(ROOT)], cwd=out)
    (built,) = out.glob("smeplatform-deploy-*.tar.gz")
    return built


@pytest.fixture(scope="session")
def installed(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("collections")
    work = tmp_path_factory.mktemp("work")
    run(
        [tool("ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "-p", str(dest), str(tarball)],
        cwd=work,
        env=isolated_env(dest, work),
    )
    return dest
