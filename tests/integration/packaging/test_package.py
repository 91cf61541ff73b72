"""The collection as users get it: the galaxy tarball, installed on its own, and the execution environment.

No lab needed: these tests build the tarball from this checkout, install it into an empty path (no
repository files, no `.collections` link) and use it there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent

# What the tarball must not carry: the lab, test scenarios, our environments' inventories, run outputs, caches.
EXCLUDED_TOP = {"inventories", "molecule", "reports", "backups", ".lab", ".venv", ".collections", ".cache", ".ci"}
EXCLUDED_PATHS = ("tests/lab/", "tests/output/", "tests/bench/")


def tool(name: str) -> str:
    beside = BIN / name
    return str(beside) if beside.exists() else shutil.which(name) or name


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def isolated_env(collections_path: Path, cwd: Path) -> dict[str, str]:
    """An environment that sees only the installed collections: no ansible.cfg of this repository."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    config = cwd / "ansible.cfg"
    config.write_text("[defaults]\n", encoding="utf-8")
    env["ANSIBLE_CONFIG"] = str(config)
    # the installed tarball first, then the collections the `ansible` package brings (kubernetes.core)
    bundled = Path(yaml.__file__).parent  # any site-packages entry: ansible_collections sits beside it
    site = bundled.parent
    env["ANSIBLE_COLLECTIONS_PATH"] = f"{collections_path}:{site}"
    env["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "false"
    env["ANSIBLE_LOCAL_TEMP"] = str(cwd / ".ansible-tmp")
    env["ANSIBLE_HOME"] = str(cwd / ".ansible-home")
    return env


@pytest.fixture(scope="module")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    run([tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out), str(ROOT)], cwd=out)
    (built,) = out.glob("smeplatform-deploy-*.tar.gz")
    return built


@pytest.fixture(scope="module")
def installed(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("collections")
    work = tmp_path_factory.mktemp("work")
    run(
        [tool("ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "-p", str(dest), str(tarball)],
        cwd=work,
        env=isolated_env(dest, work),
    )
    return dest


def test_tarball_holds_the_collection_only(tarball: Path) -> None:
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    tops = {name.split("/", 1)[0] for name in names}
    assert {"plugins", "roles", "playbooks", "meta", "checklist", "MANIFEST.json"} <= tops
    assert not tops & EXCLUDED_TOP, f"tarball ships {sorted(tops & EXCLUDED_TOP)}"
    shipped = [name for name in names if name.startswith(EXCLUDED_PATHS)]
    assert not shipped, f"tarball ships lab or test tooling: {shipped[:5]}"
    assert not [name for name in names if "__pycache__" in name or name.endswith(".tar.gz")]


def test_manifest_declares_dependencies_and_links(tarball: Path) -> None:
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("MANIFEST.json")
        assert member is not None
        info = json.load(member)["collection_info"]
    assert "kubernetes.core" in info["dependencies"]
    assert info["documentation"] and info["issues"] and info["repository"]


def test_installed_collection_documents_every_plugin(installed: Path, tmp_path: Path) -> None:
    env = isolated_env(installed, tmp_path)
    listing = run([tool("ansible-doc"), "-l", "smeplatform.deploy", "--json"], cwd=tmp_path, env=env)
    modules = set(json.loads(listing.stdout))
    expected = {f"smeplatform.deploy.{p.stem}" for p in (ROOT / "plugins" / "modules").glob("*.py")}
    assert modules == expected
    docs = json.loads(run([tool("ansible-doc"), "--json", *sorted(modules)], cwd=tmp_path, env=env).stdout)
    assert set(docs) == modules
    callback_doc = [tool("ansible-doc"), "-t", "callback", "--json", "smeplatform.deploy.evidence_report"]
    callback = run(callback_doc, cwd=tmp_path, env=env)
    assert "smeplatform.deploy.evidence_report" in json.loads(callback.stdout)

    # the action group kubernetes names exactly the modules documented with the Kubernetes connection options, so
    # module_defaults {group/smeplatform.deploy.kubernetes: {kubeconfig, context}} sets them on every such module
    runtime = yaml.safe_load((installed / "ansible_collections/smeplatform/deploy/meta/runtime.yml").read_text())
    group = {f"smeplatform.deploy.{name}" for name in runtime["action_groups"]["kubernetes"]}
    connection = {"kubeconfig", "context", "request_timeout"}
    taking = {name for name, doc in docs.items() if connection <= set(doc["doc"].get("options", {}))}
    assert group == taking, f"group only: {sorted(group - taking)}; not in the group: {sorted(taking - group)}"


def test_execution_environment_requirements_are_found(installed: Path, tmp_path: Path) -> None:
    """ansible-builder's introspection reads the collection's Python and system requirements."""
    proc = run(
        [
            tool("ansible-builder"),
            "introspect",
            "--sanitize",
            "--write-pip",
            str(tmp_path / "requirements.txt"),
            "--write-bindep",
            str(tmp_path / "bindep.txt"),
            str(installed),
        ],
        cwd=tmp_path,
    )
    python = (tmp_path / "requirements.txt").read_text()
    # (PyYAML is required too; --sanitize drops it as ansible-core brings it)
    for package in ("kubernetes", "psycopg", "dnspython"):
        assert package.lower() in python.lower(), f"{package} missing from introspected requirements:\n{proc.stdout}"
    assert "smeplatform.deploy" in python
    system = (tmp_path / "bindep.txt").read_text()
    assert "git" in system and "ca-certificates" in system


def test_execution_environment_definition_builds_a_context(tmp_path: Path) -> None:
    context = tmp_path / "context"
    run([tool("ansible-builder"), "create", "-f", str(ROOT / "execution-environment.yml"), "-c", str(context)], ROOT)
    containerfile = next(p for p in (context / "Containerfile", context / "Dockerfile") if p.exists()).read_text()
    assert "ansible-galaxy collection install" in containerfile
    assert "ansible-core>=2.19" in containerfile
    assert "helm version" in containerfile
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    names = {entry["name"] for entry in requirements["collections"]}
    assert "kubernetes.core" in names
    assert "smeplatform/smeplatform-deploy.tar.gz" in names
    # the tarball named there is copied into the context from execution-environment/
    assert (context / "_build" / "smeplatform" / "README.md").exists()
