"""Unit tests of the filter translation rules that are easy to get subtly wrong: the spec's
ReplacePrefixMatch slash table, the redirect port rules, mirror fractions, CORS origins."""
from __future__ import annotations

import re

import pytest

from kgw_controller.ir import ListenerIR, MirrorIR, PathModIR, RedirectIR
from kgw_controller.xdsgen.filters import mirror_policy, prefix_rewrite, redirect_action
from kgw_controller.xdsgen.httpfilters.cors import origin_matcher as _origin_matcher


def _apply(path: str, match_prefix: str, replacement: str) -> str:
    """What Envoy does with our prefix_rewrite output (a path_separated_prefix match precedes it)."""
    kind, value = prefix_rewrite(PathModIR("ReplacePrefixMatch", replacement, match_prefix))
    if kind == "prefix":
        return value + path[len(match_prefix.rstrip("/")):]
    return re.sub(value.pattern.regex, value.substitution.replace("\\", "\\\\"), path, count=1)


# The table in the HTTPPathModifier.ReplacePrefixMatch documentation (Gateway API v1.x).
@pytest.mark.parametrize("path,prefix,replacement,expected", [
    ("/foo/bar", "/foo", "/xyz", "/xyz/bar"),
    ("/foo/bar", "/foo", "/xyz/", "/xyz/bar"),
    ("/foo/bar", "/foo/", "/xyz", "/xyz/bar"),
    ("/foo/bar", "/foo/", "/xyz/", "/xyz/bar"),
    ("/foo", "/foo", "/xyz", "/xyz"),
    ("/foo/", "/foo", "/xyz", "/xyz/"),
    ("/foo/bar", "/foo", "", "/bar"),
    ("/foo/", "/foo", "", "/"),
    ("/foo", "/foo", "", "/"),
    ("/foo/", "/foo", "/", "/"),
    ("/foo", "/foo", "/", "/"),
    ("/bar", "/", "/xyz", "/xyz/bar"),
])
def test_replace_prefix_match_table(path, prefix, replacement, expected):
    assert _apply(path, prefix, replacement) == expected


def _listener(protocol="HTTP", port=80) -> ListenerIR:
    return ListenerIR("l", "127.0.0.1", port, port, protocol)


@pytest.mark.parametrize("redirect,listener,port", [
    (RedirectIR(), _listener(port=80), 0),  # http on 80: no port in Location
    (RedirectIR(), _listener(port=8080), 8080),  # the listener's declared port
    (RedirectIR(scheme="https"), _listener(port=8080), 0),  # scheme given: its well-known port, left out
    (RedirectIR(scheme="http"), _listener("HTTPS", 443), 0),
    (RedirectIR(scheme="https", port=8443), _listener(), 8443),
    (RedirectIR(port=443), _listener("HTTPS", 8443), 0),  # https listener, port 443: left out
    (RedirectIR(port=80), _listener("HTTPS", 443), 80),  # https on 80 is not a default: kept
])
def test_redirect_port_rules(redirect, listener, port):
    assert redirect_action(redirect, listener).port_redirect == port


def test_redirect_status_codes_are_all_mapped():
    codes = {code: redirect_action(RedirectIR(status_code=code), _listener()).response_code
             for code in (301, 302, 303, 307, 308)}
    assert len(set(codes.values())) == 5


@pytest.mark.parametrize("num,den,expected", [(1, 3, 333333), (3, 3, 1_000_000), (0, 7, 0)])
def test_mirror_fraction_in_parts_per_million(num, den, expected):
    assert mirror_policy(MirrorIR("c", num, den)).runtime_fraction.default_value.numerator == expected


def test_full_mirror_has_no_runtime_fraction():
    assert not mirror_policy(MirrorIR("c")).HasField("runtime_fraction")


@pytest.mark.parametrize("origin,ok,bad", [
    ("https://*.bar.com", "https://api.bar.com", "https://bar.com.evil.net"),
    ("*", "http://anything:8080", None),
])
def test_cors_wildcard_origins(origin, ok, bad):
    regex = _origin_matcher(origin).safe_regex.regex
    assert re.fullmatch(regex, ok)
    if bad:
        assert not re.fullmatch(regex, bad)
