"""Sealing small JSON values that sit outside this process (the cache, host-local files).

Every sealed value is readable only by a request that holds the secret it was sealed with (a
refresh token, a flow ``state``, a sign-in handle) and only in the slot it was written to:

* the key is derived with HKDF-SHA256 from that secret, separately for each ``purpose``;
* AES-GCM authenticates, as associated data, the format version, the ``purpose`` and the
  ``slot`` (the cache key or file name), so a value copied into another slot or read for
  another purpose does not open;
* the format is ``version (1 byte) || nonce (12 bytes) || ciphertext and tag``.

``unseal`` answers ``None`` for anything that does not open: garbage, truncated, tampered,
another key, purpose or slot, an older format. It never raises, so a corrupted cache entry or
record reads as a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = 1
_HEADER = bytes([VERSION])
_NONCE_BYTES = 12
_TAG_BYTES = 16
#: Sealed values are small (a token set at most); anything bigger is not ours.
MAX_SEALED_BYTES = 64 * 1024


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _key(secret: str, purpose: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"django-lamba seal",
        info=b"django-lamba seal v1\x00" + _encode(purpose),
    )
    return hkdf.derive(_encode(secret))


def _associated_data(purpose: str, slot: str) -> bytes:
    return _HEADER + b"\x00" + _encode(purpose) + b"\x00" + _encode(slot)


def slot_id(purpose: str, secret: str) -> str:
    """Return a key-safe name for the slot of ``secret`` (reveals nothing about the key)."""
    return hashlib.sha256(
        b"django-lamba slot v1\x00" + _encode(purpose) + b"\x00" + _encode(secret)
    ).hexdigest()


def seal(secret: str, purpose: str, slot: str, data: Any) -> bytes:
    """Seal JSON-serializable ``data`` for ``slot`` with a key derived from ``secret``."""
    nonce = os.urandom(_NONCE_BYTES)
    plain = json.dumps(data, separators=(",", ":")).encode()
    aead = AESGCM(_key(secret, purpose))
    return _HEADER + nonce + aead.encrypt(nonce, plain, _associated_data(purpose, slot))


def unseal(secret: str, purpose: str, slot: str, sealed: Any) -> Any:
    """Return the data sealed for ``slot`` with ``secret`` and ``purpose``; ``None`` otherwise."""
    if not isinstance(sealed, bytes) or len(sealed) > MAX_SEALED_BYTES:
        return None
    if len(sealed) < 1 + _NONCE_BYTES + _TAG_BYTES or sealed[:1] != _HEADER:
        return None
    nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
    try:
        plain = AESGCM(_key(secret, purpose)).decrypt(nonce, body, _associated_data(purpose, slot))
        return json.loads(plain)
    except (InvalidTag, ValueError, RecursionError):
        return None
