"""Webhooks Refold sends to your backend (docs/contract.md §15): checking a delivery's
``x-cobalt-signature`` over the raw body, and reading its event. Both are the Rust core's;
this module gives the event its Python type. Re-exported by the package."""

from __future__ import annotations

from . import _native

TYPE_CHECKING = False  # not imported from `typing`: see __init__.py
if TYPE_CHECKING:
    from typing import Any, Dict, Optional, Union

    _Body = Union[bytes, bytearray, memoryview, str]
    _Header = Union[str, bytes, None]

__all__ = ["WebhookEvent", "verify_webhook_signature", "parse_webhook_event"]

#: The event's members (besides ``dedup_key`` and ``raw``), in the core's order.
_MEMBERS = (
    "event_type", "linked_account_id", "org_id", "environment", "kind", "slug", "created_at",
    "instance_id", "workflow_id", "workflow_name", "config_id", "status",
)


class WebhookEvent:
    """A webhook event, read-only; members a payload lacks are ``None``.

    ``event_type`` is the ``event`` member (``"Connection Created"``, ``"Connection Deleted"``,
    ``"Connection Expired"``, ``"Workflow Completed"``, ``"Workflow Errored"``, or a name this
    version does not know); ``kind`` is the ``type`` member; ``created_at`` is sent as an HTTP
    date and kept as text; ``dedup_key`` identifies the event across repeated deliveries
    (deduplicate on it); ``raw`` is the whole payload.
    """

    __slots__ = _MEMBERS + ("dedup_key", "raw")

    event_type: str
    linked_account_id: Optional[str]
    org_id: Optional[str]
    environment: Optional[str]
    kind: Optional[str]
    slug: Optional[str]
    created_at: Optional[str]
    instance_id: Optional[str]
    workflow_id: Optional[str]
    workflow_name: Optional[str]
    config_id: Optional[str]
    status: Optional[str]
    dedup_key: str
    raw: Dict[str, Any]

    def __init__(self, members: Dict[str, Any]) -> None:
        for name in _MEMBERS + ("dedup_key",):
            object.__setattr__(self, name, members[name])
        import json  # on first use: `import refold_session` stays fast

        object.__setattr__(self, "raw", json.loads(members["raw"]))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"WebhookEvent is read-only ({name})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"WebhookEvent is read-only ({name})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WebhookEvent):
            return NotImplemented
        return self.raw == other.raw

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in _MEMBERS
                          if getattr(self, name) is not None)
        return f"WebhookEvent({shown})"


def verify_webhook_signature(
    raw_body: _Body, signature_header: _Header, api_key: str
) -> bool:
    """Whether ``signature_header`` (``x-cobalt-signature``) is the HMAC-SHA256 of the raw
    body keyed on ``api_key``, compared in constant time. A missing (``None``), empty, short,
    long or non-hex header, a ``sha256=`` prefix, or an empty key is ``False``, never an
    exception. Pass the bytes received, before any JSON parsing (``await request.body()``,
    ``request.get_data()``); a ``str`` is read as its UTF-8.

    Raises:
        TypeError: ``raw_body`` is not bytes or a ``str`` (e.g. the parsed JSON).
    """
    return _native.verify_webhook_signature(raw_body, signature_header, api_key)


def parse_webhook_event(raw_body: _Body) -> WebhookEvent:
    """Reads a webhook body (verify its signature first).

    Raises:
        InvalidInputError: the body is over 1 MiB, not a JSON object, has no string
            ``event``, or a documented member is neither a string nor null.
        TypeError: ``raw_body`` is not bytes or a ``str``.
    """
    return WebhookEvent(_native.parse_webhook_event(raw_body))
