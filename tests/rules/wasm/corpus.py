"""Rules programs and exchanges that exercise every opcode, for wasm-vs-reference comparisons."""
from __future__ import annotations

import pathlib

from kgw_rules.exchange import Request, Response

# The specification's first program, as shipped in examples/ (the same text `kgw test` users start with).
FIRST_PROGRAM = (pathlib.Path(__file__).resolve().parents[3] / "examples" / "rules" / "api.kgw").read_text()

STRINGS = r'''
on request {
  let s = header("x-in")
  set header "x-lower" = lower(s)
  set header "x-upper" = upper(s)
  set header "x-trim" = trim(s)
  set header "x-len" = str(len(s))
  set header "x-sub2" = substr(s, 2)
  set header "x-sub3" = substr(s, 1, 3)
  set header "x-split" = split_part(s, ",", 1)
  set header "x-sw" = str(starts_with(s, "ab"))
  set header "x-ew" = str(ends_with(s, "yz"))
  set header "x-ct" = str(contains(s, ","))
  set header "x-b64" = base64_encode(s)
  set header "x-b64d" = default(base64_decode(s), "bad")
  set header "x-b64u" = base64url_encode(s)
  set header "x-b64ud" = default(base64url_decode(s), "bad")
  set header "x-ue" = url_encode(s)
  set header "x-ud" = default(url_decode(s), "bad")
  set header "x-int" = str(default(int(s), -1) + 1)
  set header "x-sha" = sha256_hex(s)
  set header "x-json" = json_escape(s)
  set header "x-rep" = replace(s, r"[aeiou]+", "_")
  set header "x-empty" = replace(s, r"a*", "-")
  set header "x-cmp" = "{s < "m"} {s >= "m"} {s == "abc"} {s != "abc"} {s in ["a", "b", "abc"]}"
  set header "x-all" = default(header_all("x-multi"), "none")
  set header "x-all2" = default(header_all("x-multi", "; "), "none")
  set header "x-cookie" = default(cookie("sid"), "none")
  set header "x-q" = default(query("q"), "none")
  set header "x-route" = route
  set header "x-ip" = client_ip
  set header "x-url" = url
  set header "x-host" = host
  set header "x-scheme" = scheme
  set header "x-method" = method
}
'''

CAPTURES = r'''
on request {
  if header("x-in") ~ r"(?i)^(?P<user>[a-z]+)(?:@(?P<domain>[\w.]+))?$" {
    set header "x-user" = user
    set header "x-domain" = default(domain, "none")
  } else if header("x-in") ~ r"\bid=(?P<id>\d{1,5})\b" and method == "GET" {
    set header "x-id" = id
  } else {
    add header "x-nomatch" = "1"
  }
  if header("x-in") !~ r"^$" or exists(header("x-force")) {
    add header "x-nonempty" = "yes"
  }
}
'''

HEADERS = r'''
on request {
  set header "x-a" = header("x-in")
  add header "x-multi" = "added"
  rename header "x-old" to "x-new"
  remove header "x-drop"
  set header "x-none" = header("x-missing")
  add header "x-none2" = header("x-missing")
  set method = default(header("x-method"), method)
  set host = default(header("x-host"), host)
  set path = default(header("x-path"), path)
  set query "a b" = header("x-qv")
  remove query "gone"
}
on response {
  set header "x-req" = default(request_header("x-a"), "none")
  set header "x-path-seen" = path
  set status = default(int(default(header("x-status"), "200")), 200)
  rename header "x-up" to "x-down"
  add header "x-url" = url
}
'''

BODIES = r'''
on request {
  set json "user.id" = default(header("x-id"), "anon")
  remove json "secret"
  set json "n" = 3
  set json "flag" = true
  set header "x-name" = default(json("user.name"), "none")
  set header "x-items" = default(json("items[1]"), "none")
  replace body r"password=\w+" with "password=***"
}
on response {
  set header "x-len" = str(len(body))
  if contains(body, "error") {
    respond 502 "upstream said error" {
      header "x-reason" = "error in body"
    }
  }
  set body = "{body}!"
}
'''

LOCAL_RESPONSE_RESPONSE_PHASE = r'''
on request { set header "x-seen" = "1" }
on response {
  if status == 404 {
    respond 200 json_escape(path) {
      header "content-type" = "application/json"
      header "x-bad" = "a{header("x-crlf")}b"
    }
  }
}
'''

STOP_AND_VARS = r'''
on request {
  let a = "one"
  if header("x-stop") == "1" { stop }
  let b = "two"
  set header "x-a" = a
}
on response {
  set header "x-a" = default(a, "absent")
  set header "x-b" = default(b, "absent")
}
'''

SKIPS = r'''
on request {
  set header "x-bad" = header("x-crlf")
  add header "x-bad2" = header("x-crlf")
  set path = header("x-path")
  set method = header("x-method")
  set host = header("x-host")
  set body = "new body"
}
on response {
  set status = default(int(header("x-status")), 0)
  set body = "resp"
}
'''

PROGRAMS = {
    "first": FIRST_PROGRAM, "strings": STRINGS, "captures": CAPTURES, "headers": HEADERS, "bodies": BODIES,
    "local_response_phase": LOCAL_RESPONSE_RESPONSE_PHASE, "stop_vars": STOP_AND_VARS, "skips": SKIPS,
}

_IN = [b"", b"abc", b"  Alice  ", b"a,b,c", b"YWI=", b"YWI", b"-_8", b"a+b%20c%zz", b"123", b"-9223372036854775808",
       b"9223372036854775808", b"baaaz", b"\xff\xfe\"\\\x01", b"bob@example.com", b"id=42 x", b"ZZZ", b"m",
       b"h\xc3\xa9llo w\xc3\xb6rld"]


def requests() -> list[tuple[str, Request, Response | None]]:
    out = []
    for i, v in enumerate(_IN):
        cookie = b"a=1; sid=\"s" + str(i).encode() + b"\""
        headers = [(b"x-in", v), (b"x-multi", b"1"), (b"x-multi", b"2"), (b"cookie", cookie), (b"authorization", b"t"),
                   (b"x-user-id", v), (b"x-old", b"o1"), (b"x-new", b"n0"), (b"x-old", b"o2"), (b"x-drop", b"d")]
        query = v.replace(b" ", b"+").replace(b"&", b"%26").replace(b"#", b"")
        url = b"/v1/p" + str(i).encode() + b"?q=" + query + b"&gone=1&debug"
        out.append((f"in{i}", Request(url=url, headers=headers, client_ip=b"10.0.0.%d" % i), Response(status=200 + i)))
    json_body = (b'{"user": {"name": "al\\u00e9", "id": 1}, "secret": "x", "items": [1, {"a": [true, null]}], '
                 b'"password=abc": 1}')
    out += [
        ("no auth", Request(url=b"/v1/x"), None),
        ("ipv6", Request(url=b"/a", client_ip=b"::1", headers=[(b"authorization", b"x")]),
         Response(status=503, headers=[(b"server", b"e")])),
        ("json body", Request(method=b"POST", url=b"/j", body=json_body, headers=[
            (b"x-id", b"7"), (b"content-length", b"%d" % len(json_body)), (b"content-type", b"application/json")]),
         Response(status=200, headers=[(b"content-length", b"2")], body=b"ok")),
        ("form body", Request(method=b"POST", url=b"/f", body=b"user=a&password=secret1&password=x"),
         Response(status=200, body=b"has error inside")),
        ("empty body", Request(method=b"POST", url=b"/f", body=b""), Response(status=404, body=b"")),
        ("grpc", Request(method=b"POST", url=b"/g", headers=[(b"content-type", b"application/grpc")], body=b"\x00\x00"),
         Response(status=200, body=b"x")),
        ("gzip", Request(method=b"POST", url=b"/g", headers=[(b"content-encoding", b"gzip")], body=b'{"a":1}'),
         Response(status=200, headers=[(b"content-encoding", b"br")], body=b"x")),
        ("upgrade", Request(url=b"/ws", headers=[(b"upgrade", b"websocket")], body=b"{}"), Response(status=101)),
        ("crlf", Request(url=b"/c", headers=[(b"x-crlf", b"a\r\nb"), (b"x-path", b"no-slash"), (b"x-method", b"G T"),
                                               (b"x-host", b"a/b"), (b"x-status", b"700")]), Response(status=404)),
        ("valid edits", Request(url=b"/c?x=1", headers=[
            (b"x-crlf", b"ok"), (b"x-path", b"/new?p#f"), (b"x-method", b"PATCH"), (b"x-host", b"example.com:8080"),
            (b"x-status", b"201"), (b"x-qv", b"v w&x")]),
         Response(status=404, headers=[(b"x-up", b"u")], body=b"")),
        ("stop", Request(url=b"/s", headers=[(b"x-stop", b"1")]), Response()),
        ("no stop", Request(url=b"/s"), Response()),
        ("response body", Request(url=b"/r"), Response(status=200, headers=[(b"x-status", b"299")], body=b"plain")),
    ]
    return out
