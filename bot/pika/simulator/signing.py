"""Sign webhook pushes the way fal does, publish the key as a JWKS, and verify signatures.

fal signs each push with Ed25519. The signed message is four lines joined by ``\\n``: the
request id, the user id, the timestamp (epoch seconds) and the hex SHA-256 of the raw body;
the signature travels hex-encoded in ``X-Fal-Webhook-Signature`` beside
``X-Fal-Webhook-Request-Id``, ``-User-Id`` and ``-Timestamp``. The public keys are served as a
JWKS (``kty`` OKP, ``crv`` Ed25519, ``x`` the raw key in unpadded base64url), and a receiver
accepts a timestamp within 300 s of its clock (PIKA_OFFICIAL.md §2.4).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

REQUEST_ID = "X-Fal-Webhook-Request-Id"
USER_ID = "X-Fal-Webhook-User-Id"
TIMESTAMP = "X-Fal-Webhook-Timestamp"
SIGNATURE = "X-Fal-Webhook-Signature"
LEEWAY_SECONDS = 300


def signed_message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    """Return the bytes that are signed for one push."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((request_id, user_id, timestamp, digest)).encode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class WebhookSigner:
    """One Ed25519 key pair: signs pushes and describes its public half as a JWKS."""

    def __init__(self, key_id: str = "pika-simulator-1") -> None:
        # A fresh key per simulator: nothing outside the simulator should trust it for long.
        self._private = Ed25519PrivateKey.generate()
        self.key_id = key_id

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._private.public_key()

    def jwks(self) -> dict[str, Any]:
        """Return the JWKS document listing the public key."""
        raw = self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        key = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw), "kid": self.key_id}
        return {"keys": [{**key, "use": "sig", "alg": "EdDSA"}]}

    def headers(
        self, request_id: str, user_id: str, body: bytes, *, timestamp: int | None = None
    ) -> dict[str, str]:
        """Return the four signature headers for a push of ``body``."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = self._private.sign(signed_message(request_id, user_id, stamp, body))
        return {
            REQUEST_ID: request_id,
            USER_ID: user_id,
            TIMESTAMP: stamp,
            SIGNATURE: signature.hex(),
        }


def public_keys(jwks: Mapping[str, Any]) -> list[Ed25519PublicKey]:
    """Return the Ed25519 keys of a JWKS document, skipping entries of other kinds."""
    keys = []
    for entry in jwks.get("keys") or []:
        if not isinstance(entry, Mapping):
            continue
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
            continue
        try:
            keys.append(Ed25519PublicKey.from_public_bytes(_from_b64url(str(entry["x"]))))
        except (KeyError, ValueError, binascii.Error):
            continue
    return keys


def verify(
    jwks: Mapping[str, Any],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    leeway: float = LEEWAY_SECONDS,
) -> bool:
    """Return whether ``body`` with these headers was signed by a key of ``jwks``, in time."""
    lowered = {key.lower(): value for key, value in headers.items()}
    try:
        request_id = lowered[REQUEST_ID.lower()]
        user_id = lowered[USER_ID.lower()]
        stamp = lowered[TIMESTAMP.lower()]
        signature = bytes.fromhex(lowered[SIGNATURE.lower()])
        sent = int(stamp)
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent) > leeway:
        return False
    message = signed_message(request_id, user_id, stamp, body)
    for key in public_keys(jwks):
        try:
            key.verify(signature, message)
        except InvalidSignature:
            continue
        return True
    return False
