"""Checks a JWKS (or a PEM public key) the way Envoy's jwt_authn will read it, so a key set that
does not parse is reported in status (naming the field) instead of failing every request at run time.

Problems never quote key material: a JWKS may sit in a Secret, and statuses are readable by more people."""
from __future__ import annotations

import base64
import binascii
import json
import re

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

_B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
_CURVES = {"P-256": (ec.SECP256R1, 32), "P-384": (ec.SECP384R1, 48), "P-521": (ec.SECP521R1, 66)}


def _b64url(text: object, what: str) -> bytes:
    if not isinstance(text, str) or not text:
        raise ValueError(f"{what} is missing")
    if not _B64URL.match(text):
        raise ValueError(f"{what} is not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not base64url") from None


def _check_key(key: object) -> None:
    if not isinstance(key, dict):
        raise ValueError("not a JSON object")
    kty = key.get("kty")
    if kty == "RSA":
        n = int.from_bytes(_b64url(key.get("n"), "n"), "big")
        e = int.from_bytes(_b64url(key.get("e"), "e"), "big")
        try:
            rsa.RSAPublicNumbers(e, n).public_key()
        except ValueError as err:
            raise ValueError(f"not an RSA public key ({err})") from None
    elif kty == "EC":
        crv = key.get("crv")
        if crv not in _CURVES:
            raise ValueError(f"crv must be one of {', '.join(_CURVES)}")
        curve, size = _CURVES[crv]
        x, y = _b64url(key.get("x"), "x"), _b64url(key.get("y"), "y")
        if len(x) != size or len(y) != size:
            raise ValueError(f"x and y of a {crv} key are {size} bytes")
        try:
            ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), curve()).public_key()
        except ValueError:
            raise ValueError(f"not a point on {crv}") from None
    elif kty == "OKP":
        if key.get("crv") != "Ed25519":
            raise ValueError("crv must be Ed25519")
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(_b64url(key.get("x"), "x"))
        except ValueError:
            raise ValueError("not an Ed25519 public key") from None
    elif kty == "oct":
        _b64url(key.get("k"), "k")
    else:
        raise ValueError("kty must be RSA, EC, OKP or oct")


def jwks_problem(text: str) -> str | None:
    """Why Envoy could not use this key set, or None. Accepts a JWKS ({"keys": [...]}) or a PEM public key,
    as Envoy's jwt_authn does."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        try:
            load_pem_public_key(stripped.encode())
        except (ValueError, TypeError):
            return "is not a PEM public key"
        return None
    try:
        doc = json.loads(stripped)
    except json.JSONDecodeError as err:
        return f"is not JSON (line {err.lineno}, column {err.colno}: {err.msg})"
    if not isinstance(doc, dict) or "keys" not in doc:
        return 'is not a key set (a JSON object with "keys", as Envoy reads it)'
    keys = doc["keys"]
    if not isinstance(keys, list) or not keys:
        return "has no keys"
    for i, key in enumerate(keys):
        try:
            _check_key(key)
        except ValueError as err:
            return f"keys[{i}]: {err}"
    return None
