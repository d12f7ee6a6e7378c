"""Huge-input vectors, generated in Python because YAML has no `repeat`. Expectations are computed here
by plain Python from the spec (never by running the VM); sizes are chosen to keep the run fast."""
from __future__ import annotations

import base64
import hashlib

from kgw_rules.vectors import Vector, VectorItem

N = 200_000  # bytes of a big body or header: well past any fixed buffer, still fast in the Python VM


def _vector(name: str, rules: str, cases: list[dict]) -> list[VectorItem]:
    v = Vector.model_validate({"name": name, "rules": rules, "cases": cases})
    return [VectorItem("generated.py", v, c, 0) for c in v.cases]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def generated_items() -> list[VectorItem]:
    items: list[VectorItem] = []
    body = b"ab" * (N // 2)
    # replace body: a literal pattern without empty matches is exactly bytes.replace
    items += _vector("huge body replace and content-length", """
        on request {
          replace body r"b" with "cc"
          set header x-len = str(len(body))
        }""", [{"name": "200k", "request": {"method": "POST", "body_base64": _b64(body)},
                "expect": {"request": {"body_base64": _b64(body.replace(b"b", b"cc")),
                                       "headers": {"content-length": str(len(body) * 3 // 2),
                                                   "x-len": str(len(body) * 3 // 2)}}}}])
    # a nested quantifier stays linear: a backtracking engine would never finish this
    items += _vector("huge header nested quantifier is linear", """
        on request {
          if header("x") ~ r"^(a+)+$" { set header x-m = "yes" } else { set header x-m = "no" }
          set header x-len = str(len(header("x")))
        }""", [{"name": "no match", "request": {"headers": {"x": "a" * 50_000 + "b"}},
                "expect": {"request": {"headers": {"x-m": "no", "x-len": "50001"}}}},
               {"name": "match", "request": {"headers": {"x": "a" * 50_000}},
                "expect": {"request": {"headers": {"x-m": "yes", "x-len": "50000"}}}}])
    # 1,000 values of one header, joined in order
    values = [f"v{i}" for i in range(1000)]
    items += _vector("a thousand repeated header values", """
        on request { set header x-all = header_all("x-m", "|") }""",
                     [{"name": "joined", "request": {"headers": {"x-m": values}},
                       "expect": {"request": {"headers": {"x-all": "|".join(values)}}}}])
    # 5,000 query parameters: the last one found, the first of a repeated one wins, removal rebuilds
    params = "&".join(f"p{i}={i}" for i in range(5000))
    items += _vector("five thousand query parameters", """
        on request {
          set header x-last = query("p4999")
          remove query "p0"
        }""", [{"name": "found and removed", "request": {"path": f"/q?{params}&p4999=dup"},
                "expect": {"request": {"headers": {"x-last": "4999"},
                                       "path": "/q?" + params.split("&", 1)[1] + "&p4999=dup"}}}])
    # int() accepts any number of leading zeros; sha256 of a big body
    items += _vector("int of a thousand zeros then five", """
        on request { set header x-n = str(default(int(header("x")), -1) + 1) }""",
                     [{"name": "leading zeros", "request": {"headers": {"x": "0" * 1000 + "5"}},
                       "expect": {"request": {"headers": {"x-n": "6"}}}}])
    items += _vector("sha256 of a big body", """
        on request { set header x-h = sha256_hex(body) }""",
                     [{"name": "200k", "request": {"method": "PUT", "body_base64": _b64(body)},
                       "expect": {"request": {"headers": {"x-h": hashlib.sha256(body).hexdigest()}}}}])
    # a JSON array of 20,000 numbers: edit the last one, the rest keeps its text
    numbers = [f"{i}.0" for i in range(20_000)]
    items += _vector("big JSON array edit", """
        on request { set json "items[19999]" = "last" }""",
                     [{"name": "last element", "request": {"method": "POST",
                                                           "body": '{"items": [' + ", ".join(numbers) + "]}"},
                       "expect": {"request": {"body": '{"items":[' + ",".join(numbers[:-1]) + ',"last"]}'}}}])
    # url_encode of every byte value, repeated: unreserved bytes kept, others %XX upper-case
    raw = bytes(range(256)) * 100
    unreserved = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    encoded = "".join(chr(b) if b in unreserved else f"%{b:02X}" for b in raw)
    items += _vector("url_encode of every byte", """
        on request { set body = url_encode(body) }""",
                     [{"name": "25.6k bytes", "request": {"method": "POST", "body_base64": _b64(raw)},
                       "expect": {"request": {"body": encoded}}}])
    items += _budget_items()
    return items


def _budget_items() -> list[VectorItem]:
    """The replace-all work budget (docs/regex.md, Complexity): 4 * len(input) + 65536 bytes stepped.
    `\\w*b|a` on n bytes of `a` steps n + (n-1) + ... + 1 = n(n+1)/2 bytes (each search scans to
    the end before its one-byte match is confirmed): 365 bytes fit (66,795 <= 66,996), 366 do not
    (67,161 > 67,000), so the boundary pins both engines' stop positions to the byte."""
    items: list[VectorItem] = []
    assert 365 * 366 // 2 <= 4 * 365 + 65536 and 366 * 367 // 2 > 4 * 366 + 65536
    rules = """
        on request {
          set header x-r = replace(header("x"), r"\\w*b|a", "-")
          set header x-after = "ran"
        }"""
    items += _vector("regex budget on replace(): the last length that fits and the first that does not", rules, [
        {"name": "365 bytes: every a replaced", "request": {"headers": {"x": "a" * 365}},
         "expect": {"request": {"headers": {"x-r": "-" * 365, "x-after": "ran"}}}},
        {"name": "366 bytes: over budget, the value is kept and the skip counted",
         "request": {"headers": {"x": "a" * 366}}, "skipped": ["regex_budget"],
         "expect": {"request": {"headers": {"x-r": "a" * 366, "x-after": "ran"}}}},
    ])
    # the other quadratic shape of the brief, on a body; a normal replace after it still runs
    body = b"a" * N
    items += _vector("regex budget on replace body: a pathological pattern gives up, a normal one runs", """
        on request {
          replace body r"a*c|a" with "-"
          replace body r"a" with "b"
          set header x-len = str(len(body))
        }""", [{"name": "200k of a", "request": {"method": "POST", "body_base64": _b64(body),
                                                 "headers": {"content-length": str(N)}},
                "skipped": ["regex_budget"],
                "expect": {"request": {"body_base64": _b64(b"b" * N),
                                       "headers": {"content-length": str(N), "x-len": str(N)}}}},
               {"name": "365 bytes fit", "request": {"method": "POST", "body": "a" * 365},
                "expect": {"request": {"body": "-" * 365}}}])
    # normal patterns on a big body are far inside the budget: every match replaced, no skip
    text = b"user=alice id=12345 secret-987 token=abc.def\n" * (N // 45)
    items += _vector("regex budget leaves normal patterns alone on a big body", """
        on request {
          replace body r"secret-\\d+" with "[redacted]"
          replace body r"\\d+" with "#"
          replace body r"\\s+" with " "
          set header x-r = replace(header("x"), r"a*", "-")
        }""", [{"name": "200k",
                "request": {"method": "POST", "body_base64": _b64(text), "headers": {"x": "b" * 20_000}},
                "expect": {"request": {
                    "body_base64": _b64(text.replace(b"secret-987", b"[redacted]").replace(b"12345", b"#")
                                        .replace(b"\n", b" ")),
                    "headers": {"x-r": "-" + "b-" * 20_000}}}}])
    return items
