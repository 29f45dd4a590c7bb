"""A string that must never be printed: API keys, bot tokens, signing secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


class Secret:
    """Holds a credential; ``str``/``repr``/format show a redacted form only.

    Use ``reveal()`` at the single point where the value goes on the wire.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def fingerprint(self) -> str:
        """A short stable id for the secret (safe to log and to store)."""
        return hashlib.sha256(self._value.encode()).hexdigest()[:12]

    def __repr__(self) -> str:
        return f"Secret(…{self.fingerprint[:4]})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


# ---------------------------------------------------------------- sealing short-lived credentials

_SEAL_CONTEXT = b"socialbot-seal-v1\0"


def _stream(key: bytes, nonce: bytes, n: int) -> bytes:
    blocks = (n + 31) // 32
    return b"".join(
        hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest() for i in range(blocks)
    )[:n]


def seal(value: str, key: Secret) -> str:
    """``value`` encrypted and authenticated under ``key`` (HMAC-SHA256 keystream + tag), as
    text safe to store: for a credential the bot must keep for minutes (a Discord interaction
    token in the journal) without writing it in clear."""
    k = hashlib.sha256(_SEAL_CONTEXT + key.reveal().encode()).digest()
    nonce = secrets.token_bytes(16)
    data = value.encode()
    ct = bytes(a ^ b for a, b in zip(data, _stream(k, nonce, len(data)), strict=True))
    tag = hmac.new(k, nonce + ct, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(nonce + tag + ct).decode("ascii")


def unseal(text: str, key: Secret) -> str | None:
    """What ``seal`` sealed, or None (another key, or tampered with)."""
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
    if len(raw) < 32:
        return None
    k = hashlib.sha256(_SEAL_CONTEXT + key.reveal().encode()).digest()
    nonce, tag, ct = raw[:16], raw[16:32], raw[32:]
    if not hmac.compare_digest(tag, hmac.new(k, nonce + ct, hashlib.sha256).digest()[:16]):
        return None
    data = bytes(a ^ b for a, b in zip(ct, _stream(k, nonce, len(ct)), strict=True))
    try:
        return data.decode()
    except UnicodeDecodeError:
        return None
