# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A YAML file of the collection read on the controller (the checklist catalogue, its scopes, the playbooks)."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError


def read_yaml(path: str, what: str, error: type[Exception] = ConfigurationError) -> Any:
    """The document of ``path``; ``error`` names ``what`` the file is when it cannot be read or parsed."""
    import yaml  # the controller reads these files: PyYAML comes with ansible-core

    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise error(f"{what} {path} is not valid YAML: {exc}") from exc
