"""The headers that carry a verified identity from an authentication filter to the rules filter (and to the
upstream), and the connection manager's early removal of the same names from what clients send, so a rule
never reads an identity nobody verified (docs/security.md, "Identity in rules"). The names are the rules
language's (kgw_rules.wire.IDENTITY_HEADERS)."""
from __future__ import annotations

from envoy.config.common.mutation_rules.v3 import mutation_rules_pb2
from envoy.config.core.v3 import extension_pb2
from envoy.extensions.http.early_header_mutation.header_mutation.v3 import header_mutation_pb2

from kgw_rules.wire import IDENTITY_HEADERS

from ...ir import RouteIR
from ..common import packed

JWT_PAYLOAD, BASIC_USER, API_KEY_CLIENT = (IDENTITY_HEADERS[k] for k in ("jwt", "basic_auth", "api_key"))


def _security(r: RouteIR) -> bool:
    e = r.ext
    return e is not None and any(getattr(e, n) is not None for n in ("jwt", "basic_auth", "api_key_auth"))


def needs_strip(routes: list[RouteIR]) -> bool:
    """Every connection manager whose routes run rules programs or authenticate removes the identity headers
    clients send (a program could otherwise read a forged one)."""
    return any(r.ext is not None and (r.ext.programs or _security(r)) for r in routes)


def early_strip() -> extension_pb2.TypedExtensionConfig:
    mutation = header_mutation_pb2.HeaderMutation(
        mutations=[mutation_rules_pb2.HeaderMutation(remove=name) for name in IDENTITY_HEADERS.values()])
    return extension_pb2.TypedExtensionConfig(name="kgw.strip_identity", typed_config=packed(mutation))
