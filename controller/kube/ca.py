"""The xDS CA lives in a Secret in the controller's namespace, so every replica (and every restart) issues
and trusts the same certificates. The first replica to find none creates it; a creation race is settled by
the server (409: read the winner's)."""
from __future__ import annotations

from ..xds_auth import CertAuthority
from .api import Api, ApiError, Kind

SECRET = Kind("", "v1", "secrets", "Secret")
CA_SECRET_NAME = "kgw-xds-ca"


def load_or_create_ca(api: Api, namespace: str, name: str = CA_SECRET_NAME) -> CertAuthority:
    try:
        return CertAuthority.from_secret_data(api.get(SECRET.path(namespace, name))["data"])
    except ApiError as e:
        if e.status != 404:
            raise
    ca = CertAuthority.generate()
    body = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "kgw"}},
            "data": ca.to_secret_data()}
    try:
        api.request("POST", SECRET.path(namespace), body=body)
        return ca
    except ApiError as e:
        if e.status != 409:
            raise
    return CertAuthority.from_secret_data(api.get(SECRET.path(namespace, name))["data"])
