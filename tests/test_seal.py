"""Sealed values open only with their secret, for their purpose, in their slot; nothing raises."""

from __future__ import annotations

from typing import Any

import pytest

from django_lamba._internal import seal

SECRET = "the-refresh-token"
SEALED = seal.seal(SECRET, "rotated tokens", "lamba:rotated:abc", {"access_token": "at"})


def test_a_sealed_value_opens_with_its_secret_purpose_and_slot() -> None:
    opened = seal.unseal(SECRET, "rotated tokens", "lamba:rotated:abc", SEALED)
    assert opened == {"access_token": "at"}
    assert b"access_token" not in SEALED


@pytest.mark.parametrize(
    ("secret", "purpose", "slot"),
    [
        ("another-refresh-token", "rotated tokens", "lamba:rotated:abc"),
        (SECRET, "pending sign-in", "lamba:rotated:abc"),
        (SECRET, "rotated tokens", "lamba:rotated:abd"),
    ],
    ids=["other-secret", "other-purpose", "other-slot"],
)
def test_a_sealed_value_does_not_open_anywhere_else(secret: str, purpose: str, slot: str) -> None:
    assert seal.unseal(secret, purpose, slot, SEALED) is None


def _flipped(index: int) -> bytes:
    return SEALED[:index] + bytes([SEALED[index] ^ 1]) + SEALED[index + 1 :]


@pytest.mark.parametrize(
    "sealed",
    [
        _flipped(0),  # another format version
        _flipped(5),  # the nonce
        _flipped(20),  # the ciphertext
        _flipped(len(SEALED) - 1),  # the tag
        SEALED[:-1],
        SEALED[:28],
        SEALED + b"x",
        b"",
        b"\x01",
        "a string",
        None,
        12,
        {"access_token": "at"},
        b"\x01" + bytes(seal.MAX_SEALED_BYTES),
    ],
)
def test_tampered_truncated_or_garbage_input_reads_as_nothing(sealed: Any) -> None:
    assert seal.unseal(SECRET, "rotated tokens", "lamba:rotated:abc", sealed) is None


def test_sealing_the_same_value_twice_gives_different_bytes() -> None:
    again = seal.seal(SECRET, "rotated tokens", "lamba:rotated:abc", {"access_token": "at"})
    assert again != SEALED


def test_a_slot_name_reveals_neither_the_secret_nor_another_purpose_s_slot() -> None:
    slot = seal.slot_id("pending sign-in", SECRET)
    assert SECRET not in slot
    assert slot != seal.slot_id("oidc attempt", SECRET)
    assert slot == seal.slot_id("pending sign-in", SECRET)
