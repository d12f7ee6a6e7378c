"""Gateway API filters as Envoy route fields: header mutations, redirects, rewrites, mirrors. (CORS, an HTTP
filter of its own, is in httpfilters/cors.py.)"""
from __future__ import annotations

from envoy.config.core.v3 import base_pb2
from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.type.matcher.v3 import regex_pb2
from envoy.type.v3 import percent_pb2

from ..envoy_regex import strip_prefix_pattern
from ..ir import HeaderModIR, ListenerIR, MirrorIR, PathModIR, RedirectIR

_RESPONSE_CODES = {
    301: rc.RedirectAction.MOVED_PERMANENTLY, 302: rc.RedirectAction.FOUND, 303: rc.RedirectAction.SEE_OTHER,
    307: rc.RedirectAction.TEMPORARY_REDIRECT, 308: rc.RedirectAction.PERMANENT_REDIRECT,
}
_DEFAULT_PORTS = {"http": 80, "https": 443}
HVO = base_pb2.HeaderValueOption


def _literal(value: str) -> str:
    # Envoy reads header values as format strings (%VAR% substitutions); Gateway API values are literal, and a
    # lone % would make Envoy refuse the RouteConfiguration.
    return value.replace("%", "%%")


def header_options(mod: HeaderModIR) -> list[base_pb2.HeaderValueOption]:
    """`set` overwrites every existing value of the name; `add` appends one more value."""
    out = [HVO(header=base_pb2.HeaderValue(key=h.name, value=_literal(h.value)),
               append_action=HVO.OVERWRITE_IF_EXISTS_OR_ADD) for h in mod.set]
    out += [HVO(header=base_pb2.HeaderValue(key=h.name, value=_literal(h.value)),
                append_action=HVO.APPEND_IF_EXISTS_OR_ADD) for h in mod.add]
    return out


def prefix_rewrite(path: PathModIR):
    """ReplacePrefixMatch as the spec's table wants it: trailing `/` ignored on both sides, whole segments.

    Returns ("prefix", value) for Envoy's prefix_rewrite (safe with a path_separated_prefix match), or
    ("regex", RegexMatchAndSubstitute) when the replacement is "/" or the matched prefix is "/" — cases where
    plain prefix substitution would leave `//x` or `/xyzx`.
    """
    match = path.match_prefix.rstrip("/")
    replacement = path.value.rstrip("/")
    if match and replacement:
        return "prefix", replacement
    if not match:  # the rule matches every path: insert the replacement before it
        pattern, substitution = "^/", replacement + "/"
    else:  # strip the prefix: /foo/bar -> /bar, /foo -> /
        pattern, substitution = strip_prefix_pattern(match), "/"
    return "regex", regex_pb2.RegexMatchAndSubstitute(
        pattern=regex_pb2.RegexMatcher(regex=pattern), substitution=substitution)


def full_path_regex(value: str) -> regex_pb2.RegexMatchAndSubstitute:
    # Envoy applies regex_rewrite to the path only: the query string is kept, as the spec wants.
    return regex_pb2.RegexMatchAndSubstitute(pattern=regex_pb2.RegexMatcher(regex="^/.*$"), substitution=value)


def _redirect_port(r: RedirectIR, listener: ListenerIR) -> tuple[int, bool]:
    """(port, whether it is the default of the Location's scheme). The spec's rules: the explicit port; else the
    scheme's well-known port when a scheme is given; else the Gateway listener's (declared) port."""
    scheme = r.scheme or ("https" if listener.protocol == "HTTPS" else "http")
    port = r.port or (_DEFAULT_PORTS[r.scheme] if r.scheme else listener.declared_port)
    return port, port == _DEFAULT_PORTS[scheme]


def keeps_request_port(r: RedirectIR, listener: ListenerIR) -> bool:
    """Would Envoy copy a port from the request's Host into Location? Yes when the host is kept and no
    port_redirect is set (the port is the scheme's default, which the spec wants left out)."""
    return not r.hostname and _redirect_port(r, listener)[1]


def redirect_action(r: RedirectIR, listener: ListenerIR, host_has_port: bool = False) -> rc.RedirectAction:
    """`host_has_port`: the variant for a request whose Host carries a port. A default port is left out of
    Location, as the spec asks, except there: naming it is the only way to make Envoy drop the client's."""
    out = rc.RedirectAction(response_code=_RESPONSE_CODES[r.status_code])
    if r.scheme:
        out.scheme_redirect = r.scheme
    if r.hostname:
        out.host_redirect = r.hostname
    port, default = _redirect_port(r, listener)
    if not default or host_has_port:
        out.port_redirect = port
    if r.path is not None:
        if r.path.type == "ReplaceFullPath":
            out.path_redirect = r.path.value
        else:
            kind, value = prefix_rewrite(r.path)
            if kind == "prefix":
                out.prefix_rewrite = value
            else:
                out.regex_rewrite.CopyFrom(value)
    return out


def mirror_policy(m: MirrorIR) -> rc.RouteAction.RequestMirrorPolicy:
    out = rc.RouteAction.RequestMirrorPolicy(cluster=m.cluster, disable_shadow_host_suffix_append=True)
    if (m.numerator, m.denominator) != (100, 100):
        # FractionalPercent only has fixed denominators: scale any fraction to parts per million.
        out.runtime_fraction.default_value.CopyFrom(percent_pb2.FractionalPercent(
            numerator=m.numerator * 1_000_000 // m.denominator, denominator=percent_pb2.FractionalPercent.MILLION))
    return out
