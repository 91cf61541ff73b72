# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the collection's action plugins: controller-only work against the checklist catalogue."""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue

CATALOGUE_OPTION = {"catalogue": {"type": "path"}}


class CatalogueAction(ActionBase):
    """Runs on the controller (no connection, no file transfer, check mode alike); ``catalogue`` picks the
    catalogue file (the collection's own when not set). Subclasses declare ARGUMENT_SPEC and implement act()."""

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    ARGUMENT_SPEC: dict[str, dict[str, Any]] = {}

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec={**self.ARGUMENT_SPEC, **CATALOGUE_OPTION})
        return self.act(result, args, task_vars or {})

    def act(self, result: dict[str, Any], args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def load_catalogue(path: str | None) -> Catalogue:
        """The catalogue at ``path``, or the collection's own; CatalogueError names what is wrong."""
        return Catalogue.load(path) if path else Catalogue.load()
