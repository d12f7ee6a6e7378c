"""Hypothesis strategies: well-typed rules programs, and requests to run them on.

Shared by the property tests of the SDK and the differential tests of the engines.
"""
from __future__ import annotations

from hypothesis import strategies as st

from kgw_rules.exchange import HostContext, Request, Response

HEADERS = ["x-a", "x-b", "x-user", "content-type", "cookie", "accept"]
QUERIES = ["a", "b", "lang", "page"]
REGEXES = [r"a+", r"^/v1/(?P<rest>.*)$", r"(?i)json", r"\d{2,3}", r"(?P<k>[a-z]+)=(?P<v>[^&]*)", r"\bx\b",
           r"(a|ab)(c|bcd)?", r"[^/]+$", r"", r"b*?c"]
JSON_PATHS = ["a", "a.b", "items[0]", "items[1].name", "user.id"]
TEXT = st.text(alphabet="abcxyz/=&%+? -_0123456789{}", max_size=8)
ENV = {b"K1": b"v1", b"EMPTY": b""}


def host() -> HostContext:
    """A fresh host per engine run: the same env and the same random stream, so random_id() and env()
    give both engines identical values and a differential test compares like with like."""
    return HostContext.seeded(0, ENV)


def _lit(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("{", "{{").replace("}", "}}") + '"'


def strings(depth: int = 2, phase: str = "request") -> st.SearchStrategy[str]:
    """Source text of an expression of type string (or string?, which reads as "" where needed)."""
    leaves = st.one_of(
        TEXT.map(_lit),
        st.sampled_from(HEADERS).map(lambda h: f'header("{h}")'),
        st.sampled_from(HEADERS).map(lambda h: f'request_header("{h}")'),
        st.sampled_from(QUERIES).map(lambda q: f'query("{q}")'),
        st.sampled_from(["path", "method", "host", "url", "scheme", "route", "client_ip"]),
        st.sampled_from(JSON_PATHS).map(lambda p: f'json("{p}")'),
        st.just('cookie("a")'),
        st.just('header_all("x-a", ";")'),
        st.sampled_from(["K1", "EMPTY", "UNSET"]).map(lambda k: f'env("{k}")'),
        st.just("random_id()"),
    )
    if depth == 0:
        return leaves
    sub = strings(depth - 1, phase)
    ints_ = ints(depth - 1, phase)
    return st.one_of(
        leaves,
        st.tuples(st.sampled_from(["lower", "upper", "trim", "base64_encode", "base64url_encode", "url_encode",
                                   "sha256_hex", "json_escape"]), sub).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["base64_decode", "url_decode", "base64url_decode"]), sub, sub)
        .map(lambda t: f"default({t[0]}({t[1]}), {t[2]})"),
        st.tuples(sub, ints_, ints_).map(lambda t: f"substr({t[0]}, {t[1]}, {t[2]})"),
        st.tuples(sub, ints_).map(lambda t: f"substr({t[0]}, {t[1]})"),
        st.tuples(sub, st.sampled_from(REGEXES), TEXT).map(lambda t: f'replace({t[0]}, r"{t[1]}", {_lit(t[2])})'),
        st.tuples(sub, TEXT, ints_).map(lambda t: f"split_part({t[0]}, {_lit(t[1])}, {t[2]})"),
        st.tuples(sub, sub).map(lambda t: f"{t[0]} + {t[1]}"),
        st.tuples(sub, ints_).map(lambda t: '"{' + t[0] + '}-{' + t[1] + '}"'),
        ints_.map(lambda i: f"str({i})"),
    )


def ints(depth: int = 2, phase: str = "request") -> st.SearchStrategy[str]:
    leaves = st.one_of(st.integers(-5, 300).map(str),
                       st.sampled_from([str(2**63 - 1), str(-(2**63))]))
    if phase == "response":
        leaves = st.one_of(leaves, st.just("status"))
    if depth == 0:
        return leaves
    sub_s = strings(depth - 1, phase)
    sub_i = ints(depth - 1, phase)
    return st.one_of(leaves, sub_s.map(lambda s: f"len({s})"),
                     st.tuples(sub_s, sub_i).map(lambda t: f"default(int({t[0]}), {t[1]})"),
                     st.tuples(sub_i, sub_i).map(lambda t: f"{t[0]} + {t[1]}"))


def bools(depth: int = 2, phase: str = "request") -> st.SearchStrategy[str]:
    s = strings(depth - 1 if depth else 0, phase)
    i = ints(depth - 1 if depth else 0, phase)
    leaves = st.one_of(
        st.sampled_from(["true", "false"]),
        st.sampled_from(HEADERS).map(lambda h: f'exists(header("{h}"))'),
        st.tuples(s, st.sampled_from(["==", "!=", "<", ">="]), s).map(" ".join),
        st.tuples(i, st.sampled_from(["==", "<", "<=", ">"]), i).map(" ".join),
        st.tuples(s, st.sampled_from(["~", "!~"]), st.sampled_from(REGEXES)).map(lambda t: f'{t[0]} {t[1]} r"{t[2]}"'),
        st.tuples(s, st.lists(s, min_size=1, max_size=3)).map(lambda t: f"{t[0]} in [{', '.join(t[1])}]"),
        st.tuples(st.sampled_from(["starts_with", "ends_with", "contains"]), s, s).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"),
    )
    if depth == 0:
        return leaves
    sub = bools(depth - 1, phase)
    return st.one_of(leaves, sub.map(lambda b: f"not ({b})"),
                     st.tuples(sub, st.sampled_from(["and", "or"]), sub).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"))


def statements(phase: str, depth: int = 2) -> st.SearchStrategy[list[str]]:
    s, i, b = strings(2, phase), ints(1, phase), bools(1, phase)
    header = st.sampled_from(HEADERS[:4] + ["x-new"])
    simple = [
        st.tuples(header, s).map(lambda t: f"set header {t[0]} = {t[1]}"),
        st.tuples(header, s).map(lambda t: f"add header {t[0]} = {t[1]}"),
        header.map(lambda h: f"remove header {h}"),
        st.tuples(header, header).map(lambda t: f"rename header {t[0]} to {t[1]}"),
        st.tuples(st.sampled_from(JSON_PATHS), st.one_of(s, i, b, st.just("none"))).map(
            lambda t: f'set json "{t[0]}" = {t[1]}'),
        st.sampled_from(JSON_PATHS).map(lambda p: f'remove json "{p}"'),
        st.tuples(st.sampled_from(REGEXES), s).map(lambda t: f'replace body r"{t[0]}" with {t[1]}'),
        s.map(lambda v: f"set body = {v}"),
        st.tuples(st.sampled_from(["user", "tier.a", "x-y"]), s).map(lambda t: f"set log {t[0]} = {t[1]}"),
        st.just("stop"),
        st.tuples(st.integers(200, 599), s, header, s).map(
            lambda t: f'respond {t[0]} {t[1]} {{ header {t[2]} = {t[3]} }}'),
    ]
    if phase == "request":
        simple += [
            s.map(lambda v: f'set path = "/" + {v}'),
            s.map(lambda v: f"set path = {v}"),
            st.tuples(st.sampled_from(QUERIES), s).map(lambda t: f'set query "{t[0]}" = {t[1]}'),
            st.sampled_from(QUERIES).map(lambda q: f'remove query "{q}"'),
            st.sampled_from(["GET", "POST", "get", "BAD METHOD"]).map(lambda m: f'set method = "{m}"'),
            s.map(lambda v: f"set host = {v}"),
        ]
    else:
        simple.append(i.map(lambda v: f"set status = {v}"))
    stmt = st.one_of(*simple)
    if depth > 0:
        inner = statements(phase, depth - 1)
        stmt = st.one_of(stmt, st.tuples(b, inner, inner).map(
            lambda t: "if " + t[0] + " {\n" + "\n".join(t[1]) + "\n} else {\n" + "\n".join(t[2]) + "\n}"))
    return st.lists(stmt, max_size=5)


@st.composite
def programs(draw) -> str:
    request = draw(statements("request"))
    response = draw(statements("response"))
    lets = draw(st.lists(strings(1), max_size=2))
    lines = ["on request {"] + [f"let v{n} = {e}" for n, e in enumerate(lets)] + request + ["}"]
    tail = [f'set header x-v{n} = v{n}' for n in range(len(lets))]
    lines += ["on response {"] + tail + response + ["}"]
    return "\n".join(lines)


header_values = st.binary(max_size=12).filter(lambda v: b"\r" not in v and b"\n" not in v and b"\0" not in v)
bodies = st.one_of(st.none(), st.binary(max_size=40), st.sampled_from(
    [b'{"a":{"b":1},"items":[{"name":"x"},2],"user":{"id":"u1"}}', b'{"a":"x\\u00e9"}', b"[1,2]", b"not json"]))


@st.composite
def requests(draw) -> Request:
    headers = draw(st.lists(st.tuples(st.sampled_from([h.encode() for h in HEADERS]), header_values), max_size=6))
    body = draw(bodies)
    if body is not None:
        headers.append((b"content-length", str(len(body)).encode()))
    url = draw(st.sampled_from([b"/", b"/v1/x?a=1&b=%20&a=2", b"/v1/?lang=en", b"/p?page=+3&x", b"/a%zz?a=%zz"]))
    return Request(draw(st.sampled_from([b"GET", b"POST"])), url, b"example.com", b"http", b"10.0.0.1",
                   b"ns/route/0", headers, body)


@st.composite
def responses(draw) -> Response | None:
    if draw(st.booleans()):
        return None
    headers = draw(st.lists(st.tuples(st.sampled_from([h.encode() for h in HEADERS]), header_values), max_size=4))
    body = draw(bodies)
    if body is not None:
        headers.append((b"content-length", str(len(body)).encode()))
    return Response(draw(st.sampled_from([200, 404, 503])), headers, body)
