"""The typed dictionaries of the generic calls: a multipart call's files and a page of a
paginated list (``refold_session.ApiFile``, ``refold_session.ApiPage``)."""

from __future__ import annotations

from typing import Any, List, Optional, TypedDict, Union


class _ApiFileFields(TypedDict):
    #: The form field it is sent as (e.g. ``"file"``).
    field: str
    filename: str
    data: Union[bytes, bytearray]


class ApiFile(_ApiFileFields, total=False):
    """A file of a multipart call (``files=[…]``)."""

    #: Its media type; ``application/octet-stream`` when left out.
    content_type: Optional[str]


class ApiPage(TypedDict):
    """One page of a paginated list: its items, the page to ask for next (``None`` on the
    last) and Refold's whole answer."""

    items: List[Any]
    next_page: Optional[int]
    body: Any
