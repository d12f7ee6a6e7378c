"""What editors show for each built-in: its signature and, where it matters, what absence does.

Read by the language server (hover, completion); a test checks that every function and field of
kgw_rules.builtins has an entry here.
"""
from __future__ import annotations

ABSENT_AS_TEXT = "An absent argument reads as \"\"."

# name -> (signature, meaning including absence semantics)
FUNCTION_DOCS: dict[str, tuple[str, str]] = {
    "header": ('header("name") -> string?',
               "First value of a header of the current phase (request headers in `on request`, response headers "
               "in `on response`). Absent when the header is not there; `default(header(\"x\"), \"v\")` gives a "
               "value, `exists(header(\"x\"))` tests it. The name is a literal, case-insensitive."),
    "header_all": ('header_all("name" [, sep]) -> string?',
                   "Every value of the header joined by `sep` (default `,`). Absent when the header is not there."),
    "request_header": ('request_header("name") -> string?',
                       "A request header, readable in both phases (in `on response`: the request as sent upstream). "
                       "Absent when it is not there."),
    "query": ('query("name") -> string?',
              "First occurrence of a query parameter, percent-decoded (`+` is a space). Absent when the parameter "
              "is missing or malformed (`%zz`); `?a` gives \"\"."),
    "cookie": ('cookie("name") -> string?', "A request cookie (`cookie: a=1; b=2`). Absent when there is none."),
    "json": ('json("a.b[0]") -> string?',
             "A field of the JSON body: a string field unquoted, any other value as compact JSON. Absent when the "
             "field is missing or the body is not valid JSON. Makes the phase buffer the body."),
    "lower": ("lower(s) -> string", "ASCII letters to lower case; other bytes unchanged. " + ABSENT_AS_TEXT),
    "upper": ("upper(s) -> string", "ASCII letters to upper case; other bytes unchanged. " + ABSENT_AS_TEXT),
    "trim": ("trim(s) -> string", "Strips ASCII whitespace at both ends. " + ABSENT_AS_TEXT),
    "len": ("len(s) -> int", "Length in bytes. " + ABSENT_AS_TEXT),
    "substr": ("substr(s, start [, len]) -> string",
               "Bytes from `start` (0-based), at most `len` of them; out-of-range starts and lengths are clamped "
               "(`substr(\"abcdef\", 2, 3)` is `\"cde\"`). " + ABSENT_AS_TEXT),
    "replace": ('replace(s, r"regex", with) -> string',
                "Every non-overlapping match of the regex replaced by the plain text `with` (RE2/Go rules for empty "
                "matches). " + ABSENT_AS_TEXT),
    "starts_with": ("starts_with(s, prefix) -> bool", "Whether s starts with prefix. " + ABSENT_AS_TEXT),
    "ends_with": ("ends_with(s, suffix) -> bool", "Whether s ends with suffix. " + ABSENT_AS_TEXT),
    "contains": ("contains(s, needle) -> bool", "Whether s contains needle. " + ABSENT_AS_TEXT),
    "split_part": ("split_part(s, sep, n) -> string",
                   "Part n (0-based) of s split at sep; \"\" when out of range. " + ABSENT_AS_TEXT),
    "base64_encode": ("base64_encode(s) -> string", "Standard base64 with padding. " + ABSENT_AS_TEXT),
    "base64_decode": ("base64_decode(s) -> string?", "Standard base64 decode; absent when s is malformed."),
    "base64url_encode": ("base64url_encode(s) -> string", "URL-safe base64 without padding. " + ABSENT_AS_TEXT),
    "base64url_decode": ("base64url_decode(s) -> string?",
                         "URL-safe base64 decode (padding optional); absent when s is malformed."),
    "url_encode": ("url_encode(s) -> string",
                   "Keeps `A-Z a-z 0-9 - . _ ~`, writes every other byte as `%XX`. " + ABSENT_AS_TEXT),
    "url_decode": ("url_decode(s) -> string?", "Decodes `%XX` and `+`; absent when s is malformed (`%zz`)."),
    "default": ("default(a, b) -> the type of a and b",
                "`a` unless it is absent, else `b`: the way to turn a `string?` or `int?` into a value "
                "(`default(int(query(\"page\")), 1)`)."),
    "exists": ("exists(a) -> bool", "True unless `a` is absent (a present but empty header exists)."),
    "int": ("int(s) -> int?", "The integer written as `-?[0-9]+` within 64 bits; absent for anything else."),
    "str": ("str(v) -> string", "The text of an int (`-12`) or bool (`true`); an absent value gives \"\"."),
    "sha256_hex": ("sha256_hex(s) -> string", "Lower-case hex SHA-256 of the bytes. " + ABSENT_AS_TEXT),
    "json_escape": ("json_escape(s) -> string",
                    "The JSON string literal for s, quotes included, for building JSON safely. " + ABSENT_AS_TEXT),
    "env": ('env("NAME") -> string?',
            "An environment variable of the filter's VM (Envoy: the wasm filter's vm_config environment, which the "
            "controller fills); absent when unset. Not allowed in a top-level `let`."),
    "random_id": ("random_id() -> string",
                  "16 fresh random bytes as 22 characters of unpadded base64url; every call draws anew. Not allowed "
                  "in a top-level `let`."),
    "jwt_claim": ('jwt_claim("path") -> string?',
                  "A claim of the JWT the gateway's jwtAuth verified (path like `json()`: `\"org.tenant\"`, "
                  "`\"roles[0]\"`): strings unquoted, other values as compact JSON; absent when no token was "
                  "verified or the claim is missing. Not allowed in a top-level `let`."),
    "basic_auth_user": ("basic_auth_user() -> string?",
                        "The user the gateway's basicAuth verified; absent otherwise. Not allowed in a top-level "
                        "`let`."),
    "api_key_client": ("api_key_client() -> string?",
                       "The client id of the API key the gateway's apiKeyAuth verified; absent otherwise. Not "
                       "allowed in a top-level `let`."),
    "in_cidr": ('in_cidr(ip, "range") -> bool',
                "Is the address text ip (IPv4 or IPv6) inside the literal range (`\"10.0.0.0/8\"`, "
                "`\"2001:db8::/32\"`, one address)? false for text that is no address or of the other family."),
}

FIELD_DOCS: dict[str, tuple[str, str]] = {
    "path": ("path: string", "The request path without the query (after request-phase edits in `on response`)."),
    "method": ("method: string", "The request method."),
    "host": ("host: string", "The request's authority as received (with a port if one was sent)."),
    "scheme": ("scheme: string", "`http` or `https`."),
    "url": ("url: string", "Path and query, as sent on the wire."),
    "status": ("status: int", "The response status. Only in `on response`."),
    "body": ("body: string", "The current phase's body (makes the phase buffer it); \"\" when there is none."),
    "route": ("route: string", "The route the program is attached to, `namespace/name/rule-index`."),
    "client_ip": ("client_ip: string", "The downstream address without the port, as Envoy resolved it."),
}
