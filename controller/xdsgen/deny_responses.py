"""TrafficPolicy `acl.denyResponse`: Envoy's RBAC filter always answers `403 RBAC: access denied`, so the
connection manager's local reply config rewrites that answer. Each refusal comes from an RBAC policy named by
its deny response (httpfilters/rbac.py `deny_policy_id`); a mapper keyed by Envoy's response code details for
that policy (`rbac_access_denied_matched_policy[<id>]`, tested with Envoy's CEL access-log filter) sets the
status and headers. Mappers match only those refusals, so no other local reply and no other route changes."""
from __future__ import annotations

from collections.abc import Sequence

from envoy.config.accesslog.v3 import accesslog_pb2
from envoy.config.core.v3 import base_pb2
from envoy.extensions.access_loggers.filters.cel.v3 import cel_pb2
from envoy.extensions.filters.network.http_connection_manager.v3 import http_connection_manager_pb2 as hcm_pb2
from google.protobuf import wrappers_pb2

from ..ir import RouteIR
from ..ir_security import AclDenyIR
from .common import packed
from .httpfilters.rbac import deny_policy_id

CEL_FILTER = "envoy.access_loggers.extension_filters.cel"


def _mapper(policy_id: str, deny: AclDenyIR, label: str) -> hcm_pb2.ResponseMapper:
    details = f"rbac_access_denied_matched_policy[{policy_id}]"
    when = cel_pb2.ExpressionFilter(expression=f'response.code_details == "{details}"')
    out = hcm_pb2.ResponseMapper(
        filter=accesslog_pb2.AccessLogFilter(extension_filter=accesslog_pb2.ExtensionFilter(
            name=CEL_FILTER, typed_config=packed(when))),
        status_code=wrappers_pb2.UInt32Value(value=deny.status))
    headers = list(deny.headers) + ([(deny.blocked_by_header, label)] if deny.blocked_by_header else [])
    for name, value in headers:  # values are format strings to Envoy: a literal % is %%
        out.headers_to_add.add(header=base_pb2.HeaderValue(key=name, value=value.replace("%", "%%")),
                               append_action=base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD)
    return out


def local_reply_config(routes: Sequence[RouteIR]) -> hcm_pb2.LocalReplyConfig | None:
    found: dict[str, tuple[AclDenyIR, str]] = {}
    for route in routes:
        acl = route.ext.acl if route.ext else None
        if acl is None or acl.deny is None:
            continue
        labels = [label for label, _ in acl.deny.denied] if acl.deny.blocked_by_header else [""]
        for label in labels:
            found[deny_policy_id(acl.deny, label)] = (acl.deny, label)
    if not found:
        return None
    return hcm_pb2.LocalReplyConfig(mappers=[_mapper(i, *found[i]) for i in sorted(found)])
