# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checklist catalogue: every item of the production checklist, as data."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

PROOFS = ("automated", "manual")
DEFAULT_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "checklist",
    "catalogue.yml",
)


class CatalogueError(ValueError):
    """The catalogue is malformed, or an id is not in it."""


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

    @classmethod
    def load(cls, path: str = DEFAULT_PATH) -> Catalogue:
        import yaml  # controller side only

        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except OSError as exc:
            raise CatalogueError(f"cannot read the checklist catalogue {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise CatalogueError(f"the checklist catalogue {path} is not valid YAML: {exc}") from exc
        return cls.from_data(data, source=path)

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
