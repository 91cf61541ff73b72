# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checklist catalogue: every item of the production checklist, as data."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.yaml_file import read_yaml

PROOFS = ("automated", "manual")
DEFAULT_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "checklist",
    "catalogue.yml",
)


SCOPES_FILE = "scopes.yml"


class CatalogueError(ValueError):
    """The catalogue is malformed, or an id is not in it."""


@dataclass(frozen=True)
class Scope:
    """What one playbook must prove: GO needs each of these items proven in the run."""

    name: str
    description: str
    items: tuple[str, ...]
    excluded: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    proof: str
    section: str
    group: str
    role: str | None = None
    owner: str | None = None


@dataclass
class Group:
    id: str
    title: str
    items: list[Item] = field(default_factory=list)


@dataclass
class Section:
    id: str
    title: str
    phase: str
    stated_items: int | None
    groups: list[Group] = field(default_factory=list)


class Catalogue:
    def __init__(self, sections: list[Section], meta: dict[str, Any]) -> None:
        self.sections = sections
        self.meta = meta
        self.scopes: dict[str, Scope] = {}
        self._items: dict[str, Item] = {}
        for section in sections:
            for group in section.groups:
                for item in group.items:
                    self._items[item.id] = item

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def items(self) -> list[Item]:
        return list(self._items.values())

    def item(self, item_id: str) -> Item:
        try:
            return self._items[item_id]
        except KeyError:
            raise CatalogueError(f"unknown checklist item id {item_id!r}: it is not in the catalogue") from None

    def scope(self, name: str) -> Scope:
        try:
            return self.scopes[name]
        except KeyError:
            known = ", ".join(sorted(self.scopes)) or "none"
            raise CatalogueError(f"unknown report scope {name!r}: the scopes are {known}") from None

    def scope_of_items(self, name: str, item_ids: list[str]) -> Scope:
        """The named scope (none: empty) with the items a run adds for what it did (or a play of its own proves)."""
        base = self.scope(name) if name else Scope(name="items", description="the items the play names", items=())
        for item_id in item_ids:
            self.item(item_id)
        items = tuple(dict.fromkeys([*base.items, *item_ids]))
        return Scope(name=base.name, description=base.description, items=items, excluded=base.excluded)

    @classmethod
    def load(cls, path: str = DEFAULT_PATH) -> Catalogue:
        """The catalogue, with the scopes of ``scopes.yml`` beside it when that file exists."""
        data = read_yaml(path, "the checklist catalogue", CatalogueError)
        catalogue = cls.from_data(data, source=path)
        scopes_path = os.path.join(os.path.dirname(path), SCOPES_FILE)
        if os.path.exists(scopes_path):
            catalogue.add_scopes(read_yaml(scopes_path, "the report scopes", CatalogueError), source=scopes_path)
        return catalogue

    def add_scopes(self, data: Any, source: str = "<scopes>") -> None:
        """Read scope definitions: sections (every item), items, and exclusions each with its reason."""
        if not isinstance(data, dict) or not isinstance(data.get("scopes"), dict):
            raise CatalogueError(f"{source}: needs a mapping 'scopes'")
        sections = {section.id: section for section in self.sections}
        for name, raw in data["scopes"].items():
            if not isinstance(raw, dict):
                raise CatalogueError(f"{source}: scope {name!r} must be a mapping")
            unknown = sorted(set(raw) - {"description", "sections", "items", "exclude"})
            if unknown:
                raise CatalogueError(f"{source}: scope {name!r} has unknown key(s) {', '.join(unknown)}")
            ids: list[str] = []
            for section_id in raw.get("sections") or []:
                if str(section_id) not in sections:
                    raise CatalogueError(f"{source}: scope {name!r} names unknown section {section_id!r}")
                ids.extend(item.id for group in sections[str(section_id)].groups for item in group.items)
            for item_id in raw.get("items") or []:
                self.item(str(item_id))
                ids.append(str(item_id))
            excluded = {}
            for item_id, reason in (raw.get("exclude") or {}).items():
                self.item(str(item_id))
                if not isinstance(reason, str) or not reason.strip():
                    raise CatalogueError(f"{source}: scope {name!r} excludes {item_id!r} without a reason")
                excluded[str(item_id)] = reason
            kept = tuple(item_id for item_id in dict.fromkeys(ids) if item_id not in excluded)
            if not kept:
                raise CatalogueError(f"{source}: scope {name!r} holds no item")
            self.scopes[str(name)] = Scope(str(name), str(raw.get("description", "")), kept, excluded)

    @classmethod
    def from_data(cls, data: Any, source: str = "<data>") -> Catalogue:
        if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
            raise CatalogueError(f"{source}: the catalogue needs a list of sections")
        seen: set[str] = set()
        sections = []
        for raw_section in data["sections"]:
            sid = str(_need(raw_section, "id", source))
            section = Section(
                id=sid,
                title=str(_need(raw_section, "title", source)),
                phase=str(raw_section.get("phase", "")),
                stated_items=raw_section.get("stated_items"),
            )
            for raw_group in _need(raw_section, "groups", source):
                group = Group(id=str(_need(raw_group, "id", source)), title=str(_need(raw_group, "title", source)))
                for raw in _need(raw_group, "items", source):
                    item_id = str(_need(raw, "id", source))
                    if item_id in seen:
                        raise CatalogueError(f"{source}: duplicate checklist item id {item_id!r}")
                    seen.add(item_id)
                    proof = raw.get("proof")
                    if proof not in PROOFS:
                        raise CatalogueError(f"{source}: item {item_id!r} has proof {proof!r}, not one of {PROOFS}")
                    if proof == "automated" and not raw.get("role"):
                        raise CatalogueError(f"{source}: automated item {item_id!r} names no role")
                    if proof == "manual" and not raw.get("owner"):
                        raise CatalogueError(f"{source}: manual item {item_id!r} names no owner")
                    group.items.append(
                        Item(
                            id=item_id,
                            text=str(_need(raw, "text", source)),
                            proof=proof,
                            section=sid,
                            group=group.id,
                            role=raw.get("role"),
                            owner=raw.get("owner"),
                        )
                    )
                section.groups.append(group)
            sections.append(section)
        meta = {k: v for k, v in data.items() if k != "sections"}
        return cls(sections, meta)


def _need(raw: Any, key: str, source: str) -> Any:
    if not isinstance(raw, dict) or key not in raw:
        raise CatalogueError(f"{source}: an entry lacks {key!r}: {raw!r}")
    return raw[key]
