# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of every role input before a play changes anything: the types and choices of each role's
argument_specs, and the ranges argument specs cannot say, by the variable's kind (its name's ending):

- ratios (``*_rate_max``, ``*_ratio``): a number in [0, 1] (0.01 is 1 %; 5 is not 500 %);
- durations (``*_timeout``, ``*_duration``, ``*_interval``, ``*_seconds``): a positive number;
- Kubernetes names (``*_namespace``: a DNS-1123 label, not empty; ``*release_name``: a Helm release name, a DNS-1123
  label of at most 53 characters);
- image tags (``*_image_tag``, the values of ``release_image_tags``): not empty.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROLES_DIR = Path(__file__).resolve().parents[2] / "roles"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
RATIO = ("_rate_max", "_ratio")
IGNORED_KEYS = ("description", "required", "default", "version_added")
DURATION = ("_timeout", "_duration", "_interval", "_seconds")


def _entry_points(role: str) -> dict[str, Any]:
    path = ROLES_DIR / role / "meta" / "argument_specs.yml"
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER) or {}  # noqa: S506 - a safe loader
    return data.get("argument_specs") or {}


def role_spec(role: str, entry_point: str = "main") -> dict[str, Any]:
    return (_entry_points(role).get(entry_point) or {}).get("options") or {}


def role_options(role: str) -> dict[str, Any]:
    """The options of every entry point of a role, main's first: what Ansible's own check at each of the role's
    includes would type (the playbooks check them all at once and turn that check off)."""
    merged: dict[str, Any] = {}
    points = _entry_points(role)
    for entry in sorted(points, key=lambda name: name != "main"):
        for name, option in ((points[entry] or {}).get("options") or {}).items():
            merged.setdefault(name, option)
    return merged


def _trusted(value: Any) -> Any:
    """A role default as Ansible holds it: its templates are the collection's own, so they are templated."""
    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core before 2.19 templates every string
        return value
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    return value


def role_defaults(role: str) -> dict[str, Any]:
    path = ROLES_DIR / role / "defaults" / "main.yml"
    data = (yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER) or {}) if path.exists() else {}  # noqa: S506 - a safe loader
    return {k: _trusted(v) for k, v in data.items()}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def ranged(name: str) -> bool:
    """Whether range_errors has a rule for the variable, by its name."""
    kinds = (*RATIO, *DURATION, "_namespace", "release_name", "_image_tag")
    return name.endswith(kinds) or name == "release_image_tags"


def can_fail(name: str, option: dict[str, Any]) -> bool:
    """Whether any check here can refuse a value of the option: one typed ``str`` (the default) or ``raw``, without
    choices and without a range rule, takes whatever its template renders (Ansible's own check converts it to a
    string), so the value is not templated just to be checked."""
    return option.get("type", "str") not in ("str", "raw") or "choices" in option or ranged(name)


def range_errors(name: str, value: Any) -> list[str]:
    """What is wrong with the value of one variable by its kind; [] when fine or of no known kind."""
    errors: list[str] = []
    if not ranged(name):
        return errors
    shown = repr(value)
    if name.endswith(RATIO) and value not in (None, ""):
        number = _number(value)
        if number is None or not 0 <= number <= 1:
            errors.append(f"{name}={shown}: a ratio in [0, 1] (0.01 is 1 %)")
    elif name.endswith(DURATION) and value not in (None, ""):
        number = _number(value)
        if number is None or number <= 0:
            errors.append(f"{name}={shown}: a positive number of seconds")
    elif name.endswith("_namespace") and isinstance(value, str) and not value.strip():
        # an empty namespace makes namespaced API paths cluster-wide ones (405 Method Not Allowed, or worse)
        errors.append(
            f"{name}={shown}: a namespace is required (set smeplatform_namespace in the inventory, or {name})"
        )
    elif name.endswith("_namespace") and isinstance(value, str):
        if len(value) > 63 or not DNS1123_LABEL.match(value):
            errors.append(
                f"{name}={shown}: not a valid namespace name (DNS-1123 label: at most 63 lower-case letters, "
                "digits and '-', starting and ending with a letter or digit)"
            )
    elif name.endswith("release_name") and isinstance(value, str) and value:
        if len(value) > 53 or not DNS1123_LABEL.match(value):
            errors.append(f"{name}={shown}: not a valid Helm release name (DNS-1123 label of at most 53 characters)")
    elif name.endswith("_image_tag") and value is not None and not str(value).strip():
        errors.append(f"{name}: an image tag must not be empty")
    elif name == "release_image_tags" and isinstance(value, dict):
        errors.extend(
            f"release_image_tags[{k}]: an image tag must not be empty"
            for k, v in value.items()
            if not str(v or "").strip()
        )
    return errors


def type_errors(spec: dict[str, Any], values: dict[str, Any]) -> list[str]:
    """The argument spec's type and choice errors for the given values (none is required here)."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    def loose(options: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, option in options.items():
            option = {
                k: v for k, v in option.items() if k not in ("description", "required", "default", "version_added")
            }
            if "options" in option:
                option["options"] = loose(option["options"])
            out[key] = option
        return out

    result = ArgumentSpecValidator(loose({k: spec[k] for k in values})).validate(values)
    return [" ".join(str(msg).split()) for msg in result.error_messages]
