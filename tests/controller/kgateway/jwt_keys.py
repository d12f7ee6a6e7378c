"""Keys and tokens for the JWT tests, made in the test with `cryptography`: RS256 and ES256 signing, JWKS and
PEM export, and the broken tokens an attacker would send (expired, wrong audience, wrong signature, alg none)."""
from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(n: int, size: int | None = None) -> str:
    return b64url(n.to_bytes(size or (n.bit_length() + 7) // 8, "big"))


@dataclass
class KeyPair:
    kid: str
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    @classmethod
    def rsa(cls, kid: str) -> KeyPair:
        return cls(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str) -> KeyPair:
        return cls(kid, ec.generate_private_key(ec.SECP256R1()))

    @property
    def alg(self) -> str:
        return "RS256" if isinstance(self.private, rsa.RSAPrivateKey) else "ES256"

    def jwks(self) -> dict:
        pub = self.private.public_key().public_numbers()
        if isinstance(pub, rsa.RSAPublicNumbers):
            key = {"kty": "RSA", "n": _int(pub.n), "e": _int(pub.e)}
        else:
            key = {"kty": "EC", "crv": "P-256", "x": _int(pub.x, 32), "y": _int(pub.y, 32)}
        return {"keys": [{**key, "kid": self.kid, "alg": self.alg, "use": "sig"}]}

    def pem_public(self) -> str:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, claims: dict, header: dict | None = None) -> str:
        head = {"alg": self.alg, "typ": "JWT", "kid": self.kid, **(header or {})}
        signing_input = f"{b64url(json.dumps(head).encode())}.{b64url(json.dumps(claims).encode())}".encode()
        if isinstance(self.private, rsa.RSAPrivateKey):
            sig = self.private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(self.private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signing_input.decode()}.{b64url(sig)}"


def claims(iss: str, aud: str, sub: str = "alice", ttl: int = 600, **extra) -> dict:
    now = int(time.time())
    return {"iss": iss, "aud": aud, "sub": sub, "iat": now, "exp": now + ttl, **extra}


def unsigned(claims_: dict) -> str:
    """`alg: none`: no signature at all."""
    head = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{b64url(json.dumps(claims_).encode())}."
