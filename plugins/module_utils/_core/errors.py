# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's exceptions. Modules catch the root once and fail with its message."""

from __future__ import annotations


class SmeplatformError(Exception):
    """Root of every error a module turns into fail_json(msg=...)."""


class ConfigurationError(SmeplatformError):
    """Bad input: detected before anything is changed."""


class ConnectionFailure(SmeplatformError):
    """A server or API could not be reached or refused the credentials."""


class ApiError(SmeplatformError):
    """A server answered with an error."""


class CheckFailed(SmeplatformError):
    """A check ran and its result is a failure (used where a check must stop the run)."""


class LockHeld(SmeplatformError):
    """Another run holds the deployment lock."""
