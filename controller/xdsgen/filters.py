"""Gateway API filters as Envoy route fields: header mutations, redirects, rewrites, mirrors, CORS."""
from __future__ import annotations

from envoy.config.core.v3 import base_pb2
from envoy.config.route.v3 import route_components_pb2 as rc
from envoy.extensions.filters.http.cors.v3 import cors_pb2
from envoy.type.matcher.v3 import regex_pb2, string_pb2
from envoy.type.v3 import percent_pb2
from google.protobuf import any_pb2, wrappers_pb2

from ..ir import CorsIR, HeaderModIR, ListenerIR, MirrorIR, PathModIR, RedirectIR

CORS_FILTER = "envoy.filters.http.cors"
_RESPONSE_CODES = {
    301: rc.RedirectAction.MOVED_PERMANENTLY, 302: rc.RedirectAction.FOUND, 303: rc.RedirectAction.SEE_OTHER,
    307: rc.RedirectAction.TEMPORARY_REDIRECT, 308: rc.RedirectAction.PERMANENT_REDIRECT,
}
_DEFAULT_PORTS = {"http": 80, "https": 443}
HVO = base_pb2.HeaderValueOption


def header_options(mod: HeaderModIR) -> list[base_pb2.HeaderValueOption]:
    """`set` overwrites every existing value of the name; `add` appends one more value."""
    out = [HVO(header=base_pb2.HeaderValue(key=h.name, value=h.value), append_action=HVO.OVERWRITE_IF_EXISTS_OR_ADD)
           for h in mod.set]
    out += [HVO(header=base_pb2.HeaderValue(key=h.name, value=h.value), append_action=HVO.APPEND_IF_EXISTS_OR_ADD)
            for h in mod.add]
    return out


def _re2_escape(text: str) -> str:
    return "".join("\\" + ch if ch in r"\.+*?()|[]{}^$" else ch for ch in text)


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
        pattern, substitution = "^" + _re2_escape(match) + "/*", "/"
    return "regex", regex_pb2.RegexMatchAndSubstitute(
        pattern=regex_pb2.RegexMatcher(regex=pattern), substitution=substitution)


def full_path_regex(value: str) -> regex_pb2.RegexMatchAndSubstitute:
    # Envoy applies regex_rewrite to the path only: the query string is kept, as the spec wants.
    return regex_pb2.RegexMatchAndSubstitute(pattern=regex_pb2.RegexMatcher(regex="^/.*$"), substitution=value)


def redirect_action(r: RedirectIR, listener: ListenerIR) -> rc.RedirectAction:
    out = rc.RedirectAction(response_code=_RESPONSE_CODES[r.status_code])
    listener_scheme = "https" if listener.protocol == "HTTPS" else "http"
    scheme = r.scheme or listener_scheme
    if r.scheme:
        out.scheme_redirect = r.scheme
    if r.hostname:
        out.host_redirect = r.hostname
    # The spec's port rules: explicit port; else the scheme's well-known port when a scheme is given; else the
    # Gateway listener's (declared) port. The Host Envoy routed on has no port (strip_any_host_port), so a
    # well-known port for the scheme is simply left out of Location, as the spec asks.
    port = r.port or (_DEFAULT_PORTS[r.scheme] if r.scheme else listener.declared_port)
    if port != _DEFAULT_PORTS[scheme]:
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


def _origin_matcher(origin: str) -> string_pb2.StringMatcher:
    if origin == "*":
        return string_pb2.StringMatcher(safe_regex=regex_pb2.RegexMatcher(regex=".*"))
    if "*" in origin:  # scheme://*.example.com: a wildcard over one or more leading labels
        pattern = _re2_escape(origin).replace(r"\*", "[^/]+")
        return string_pb2.StringMatcher(safe_regex=regex_pb2.RegexMatcher(regex=pattern))
    return string_pb2.StringMatcher(exact=origin)


def cors_config(c: CorsIR) -> any_pb2.Any:
    policy = cors_pb2.CorsPolicy(
        allow_origin_string_match=[_origin_matcher(o) for o in c.allow_origins],
        allow_methods=", ".join(c.allow_methods),
        allow_headers=", ".join(c.allow_headers),
        expose_headers=", ".join(c.expose_headers),
        max_age=str(c.max_age),
    )
    if c.allow_credentials:
        policy.allow_credentials.CopyFrom(wrappers_pb2.BoolValue(value=True))
    out = any_pb2.Any()
    out.Pack(policy)
    return out
