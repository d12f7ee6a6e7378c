"""Rules sources for benchmarks: a generated file of N statements covering the statement kinds."""
from __future__ import annotations

_KINDS = [
    'set header x-h{i} = lower(trim(default(header("x-in-{i}"), "v{i}")))',
    'if path ~ r"^/api/v{r}/(?P<rest>.*)$" {{ set path = "/v2/{{rest}}" }}',
    'set query "q{i}" = default(query("q{i}"), "d{i}")',
    'remove header x-old-{i}',
    'set header x-sum-{i} = "{{method}}:{{len(path) + {i}}}"',
    'if method == "POST" and exists(header("x-f{i}")) {{ add header x-seen = "{i}" }} else {{ remove query "z{i}" }}',
    'rename header x-from-{i} to x-to-{i}',
    'set header x-enc-{i} = base64_encode(substr(url, 0, {i}))',
]


def statements_source(n: int) -> str:
    body = "\n".join("  " + _KINDS[i % len(_KINDS)].format(i=i, r=i % 40) for i in range(n))
    return "on request {\n" + body + "\n}\n"
