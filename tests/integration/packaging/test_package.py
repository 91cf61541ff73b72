"""The collection as users get it: the galaxy tarball, installed on its own, and the execution environment.

No lab needed: these tests build the tarball from this checkout, install it into an empty path (no
repository files, no `.collections` link) and use it there.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import yaml
from packaging_support import ROOT, isolated_env, run, tool

# What the tarball must not carry: the lab, test scenarios, our environments' inventories, run outputs, caches.
EXCLUDED_TOP = {"inventories", "molecule", "reports", "backups", ".lab", ".venv", ".collections", ".cache", ".ci"}
EXCLUDED_PATHS = ("tests/lab/", "tests/output/", "tests/bench/")


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
