"""Bad input: wrong types raise TypeError, bad ids (lone surrogates included) raise
InvalidInputError, and neither sends a request; bad options fail at construction."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from refold_session import (
    AsyncRefold,
    ConfigurationError,
    InvalidInputError,
    Refold,
    RefoldError,
)

from conftest import API_KEY, Emulator

# The id's rules are the core's (its tests list them); these prove every path reaches them.
WRONG_TYPES = [None, 42, True, b"acct-1", {"linked_account_id": "acct-1"}, object()]
BAD_IDS = ["", "x" * 2048, "acct\n1"]


def sync_call(emu: Emulator, value: Any) -> None:
    Refold(API_KEY, base_url=emu.url).get_token_for_linked_account(value)


def async_call(emu: Emulator, value: Any) -> None:
    async def call() -> None:
        await AsyncRefold(API_KEY, base_url=emu.url).get_token_for_linked_account(value)

    asyncio.run(call())


CALLS = {"sync": sync_call, "async": async_call}


@pytest.mark.parametrize("mode", CALLS)
@pytest.mark.parametrize("value", WRONG_TYPES, ids=lambda v: type(v).__name__)
def test_wrong_type_is_type_error_and_nothing_is_sent(mode: str, value: Any, emu: Emulator) -> None:
    with pytest.raises(TypeError, match="linked_account_id must be a str") as caught:
        CALLS[mode](emu, value)
    assert not isinstance(caught.value, RefoldError)
    assert emu.count() == 0


@pytest.mark.parametrize("mode", CALLS)
@pytest.mark.parametrize("value", BAD_IDS, ids=["empty", "2kb", "newline"])
def test_bad_id_is_invalid_input_and_nothing_is_sent(mode: str, value: str, emu: Emulator) -> None:
    with pytest.raises(InvalidInputError) as caught:
        CALLS[mode](emu, value)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.code == "invalid_input" and error.attempts == 0 and error.status is None
    assert "linked_account_id" in error.message
    assert emu.count() == 0


@pytest.mark.parametrize("mode", CALLS)
@pytest.mark.parametrize("value", ["\ud800", "a\ud83d"], ids=["high", "half_pair"])
def test_lone_surrogate_id_is_invalid_input_and_nothing_is_sent(mode: str, value: str, emu: Emulator) -> None:
    # Never replaced (with U+FFFD or anything else) and never Python's UnicodeEncodeError.
    with pytest.raises(InvalidInputError) as caught:
        CALLS[mode](emu, value)
    error = caught.value
    assert error.code == "invalid_input" and error.attempts == 0 and error.status is None
    assert "not valid Unicode" in error.message
    assert emu.count() == 0


@pytest.mark.parametrize("option", ["api_key", "environment", "base_url"])
def test_lone_surrogate_in_an_option_is_a_configuration_error(option: str, emu: Emulator) -> None:
    good = {"api_key": API_KEY, "environment": "sandbox", "base_url": emu.url}
    options = {**good, option: good[option] + "\udfff"}
    for cls in (Refold, AsyncRefold):
        with pytest.raises(ConfigurationError) as caught:
            cls(**options)
        error = caught.value
        assert error.code == "configuration" and error.attempts == 0
        assert error.message.startswith(f"{option} is not valid Unicode"), error.message
        assert API_KEY not in error.message
    assert emu.count() == 0


def test_keyword_and_alias_calls(emu: Emulator) -> None:
    client = Refold(API_KEY, base_url=emu.url)
    assert client.get_token_for_linked_account(linked_account_id="acct-1").linked_account_id == "acct-1"
    assert client.getTokenForLinkedAccount("acct-1").linked_account_id == "acct-1"
    with pytest.raises(TypeError):
        client.get_token_for_linked_account()  # type: ignore[call-arg]
    assert emu.count() == 2


def test_str_subclass_is_accepted(emu: Emulator) -> None:
    class Id(str):
        pass

    token = Refold(API_KEY, base_url=emu.url).get_token_for_linked_account(Id("acct-1"))
    assert token.linked_account_id == "acct-1"


@pytest.mark.parametrize(
    "options",
    [
        # One per kind of option (the core's tests hold the rest).
        {"api_key": 123},
        {"environment": 1},
        {"timeout": "30"},
        {"max_retries": 2.0},
        {"max_connections": True},
        {"read_environment_variables": "no"},
    ],
    ids=repr,
)
def test_wrong_option_types_are_type_errors(options: Any, emu: Emulator) -> None:
    [(name, value)] = options.items()
    options = {"api_key": API_KEY, "base_url": emu.url, **options}
    for cls in (Refold, AsyncRefold):
        with pytest.raises(TypeError) as caught:
            cls(**options)
        assert not isinstance(caught.value, RefoldError)
        assert str(caught.value).startswith(f"{name} must be "), caught.value
        assert str(caught.value).endswith(f", not {type(value).__name__}."), caught.value
    assert emu.count() == 0


@pytest.mark.parametrize(
    "options",
    [
        {"api_key": ""},
        {"environment": "moon"},
        {"base_url": "http://203.0.113.7"},
        {"timeout": float("nan")},
        {"timeout": 10**400},
        {"max_retries": -(2**70)},
        {"max_idle_connections": 10_001},
    ],
    ids=repr,
)
def test_bad_option_values_are_configuration_errors(options: Any, emu: Emulator) -> None:
    options = {"api_key": API_KEY, "base_url": emu.url, **options}
    for cls in (Refold, AsyncRefold):
        with pytest.raises(ConfigurationError) as caught:
            cls(**options)
        assert isinstance(caught.value, ValueError)
        assert caught.value.code == "configuration" and caught.value.attempts == 0
    assert emu.count() == 0


def test_positional_options_beyond_the_key_are_rejected() -> None:
    with pytest.raises(TypeError):
        Refold("k", "production")  # type: ignore[misc]


def test_environment_variables_are_read_by_the_core(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFOLD_API_KEY", API_KEY)
    monkeypatch.setenv("REFOLD_BASE_URL", emu.url)
    assert Refold().get_token_for_linked_account("acct-1").linked_account_id == "acct-1"
    monkeypatch.delenv("REFOLD_API_KEY")
    monkeypatch.setenv("COBALT_API_KEY", API_KEY)
    assert Refold().get_token_for_linked_account("acct-1").linked_account_id == "acct-1"
    monkeypatch.delenv("COBALT_API_KEY")
    with pytest.raises(ConfigurationError):
        Refold()
    monkeypatch.setenv("REFOLD_API_KEY", API_KEY)
    monkeypatch.setenv("REFOLD_ENVIRONMENT", "moon")
    monkeypatch.delenv("REFOLD_BASE_URL")
    with pytest.raises(ConfigurationError):
        Refold()
    monkeypatch.setenv("REFOLD_ENVIRONMENT", "sandbox")
    assert Refold().endpoint == "https://embedapi.gocobalt.io/api/v2/public/session-token"
    assert emu.count() == 2
