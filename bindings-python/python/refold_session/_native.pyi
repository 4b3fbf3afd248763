# Stubs of the PyO3 extension module (src/lib.rs). Use the public API in __init__.py.
from typing import Awaitable, Optional, Tuple, Union, final

__all__ = [
    "NativeClient",
    "VERSION",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_IDLE_CONNECTIONS",
]

VERSION: str
DEFAULT_TIMEOUT: float
DEFAULT_MAX_RETRIES: int
DEFAULT_MAX_IDLE_CONNECTIONS: int

# (token, linked_account_id, expires_at µs, issued_at µs or None, redacted token,
#  expires_at RFC 3339, issued_at RFC 3339 or None)
_Fields = Tuple[str, str, int, Optional[int], str, str, Optional[str]]

@final
class NativeClient:
    def __new__(
        cls,
        api_key: Optional[str] = None,
        environment: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Union[int, float, None] = None,
        max_retries: Optional[int] = None,
        max_idle_connections: Optional[int] = None,
    ) -> NativeClient: ...
    def token(self, linked_account_id: str) -> _Fields: ...
    def token_async(self, linked_account_id: str) -> Awaitable[_Fields]: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def environment(self) -> str: ...
    @property
    def user_agent(self) -> str: ...
