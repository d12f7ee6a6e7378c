"""Case files (`api.test.yaml`): loading with precise errors, and comparing outcomes with expectations.

Every scalar is read as a string (`yes` stays "yes") except under `json:`, which is JSON data; an
unknown key is an error naming the file, line and column, so a typo cannot pass silently.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .exchange import HostContext, Outcome, Request, Response
from .wire.opcodes import DESCRIPTOR_HEADER_PREFIX, IDENTITY_HEADERS

Marks = dict[tuple[str | int, ...], Any]  # YAML path -> ruamel.yaml mark of its node
M = TypeVar("M", bound=BaseModel)

HeaderValues = str | list[str]


class CaseFileError(Exception):
    """A case file that cannot be used; str() is `file:line:col: error: message`."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Body(_Strict):
    body: str | None = None
    json_: Any = None
    body_base64: str | None = None
    has_json: bool = False

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _json_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "json" in data:
            data = dict(data)
            data["json_"] = data.pop("json")
            data["has_json"] = True
        elif isinstance(data, dict) and "has_json" in data:
            raise ValueError("unknown key has_json")
        return data

    @model_validator(mode="after")
    def _one_body(self) -> Self:
        given = [k for k, v in (("body", self.body is not None), ("json", self.has_json),
                                ("body_base64", self.body_base64 is not None)) if v]
        if len(given) > 1:
            raise ValueError(f"give one of body, json and body_base64, not {' and '.join(given)}")
        if self.body_base64 is not None:
            try:
                base64.b64decode(self.body_base64, validate=True)
            except ValueError:
                raise ValueError("body_base64 is not valid base64") from None
        return self

    def body_bytes(self) -> bytes | None:
        if self.body is not None:
            return self.body.encode("utf-8")
        if self.has_json:
            return json.dumps(self.json_, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if self.body_base64 is not None:
            return base64.b64decode(self.body_base64)
        return None


def _headers(value: dict[str, HeaderValues]) -> list[tuple[bytes, bytes]]:
    out = []
    for name, values in value.items():
        for v in values if isinstance(values, list) else [values]:
            out.append((name.lower().encode(), v.encode("utf-8")))
    return out


class Identity(_Strict):
    """What the gateway's authentication filters verified about the request (docs/language.md, "Identity"):
    the JWT's claims, the basic-auth user, the API key's client id. Given here, a case needs no token."""

    jwt: dict[str, Any] | None = None
    basic_auth_user: str | None = None
    api_key_client: str | None = None

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = []
        if self.jwt is not None:
            payload = json.dumps(self.jwt, separators=(",", ":"), ensure_ascii=False).encode()
            out.append((IDENTITY_HEADERS["jwt"].encode(), base64.urlsafe_b64encode(payload).rstrip(b"=")))
        for key, value in (("basic_auth", self.basic_auth_user), ("api_key", self.api_key_client)):
            if value is not None:
                out.append((IDENTITY_HEADERS[key].encode(), value.encode("utf-8")))
        return out


class RequestSpec(_Body):
    method: str = "GET"
    path: str = "/"
    host: str = "localhost"
    scheme: str = "http"
    client_ip: str = "127.0.0.1"
    route: str = "default/test/0"
    headers: dict[str, HeaderValues] = {}
    identity: Identity | None = None

    @field_validator("headers")
    @classmethod
    def _no_identity_headers(cls, value: dict[str, HeaderValues]) -> dict[str, HeaderValues]:
        for name in value:
            if name.lower() in IDENTITY_HEADERS.values():
                raise ValueError(f"{name} carries a verified identity: give it with `identity:` (the gateway "
                                 "removes it from what clients send)")
        return value

    def build(self) -> Request:
        body = self.body_bytes()
        headers = _headers(self.headers) + (self.identity.headers() if self.identity else [])
        if body is not None and not any(k in (b"content-length", b"transfer-encoding") for k, _ in headers):
            headers.append((b"content-length", str(len(body)).encode()))  # as any HTTP client sends it
        return Request(self.method.encode(), self.path.encode(), self.host.encode(), self.scheme.encode(),
                       self.client_ip.encode(), self.route.encode(), headers, body)


class ResponseSpec(_Body):
    status: int = 200
    headers: dict[str, HeaderValues] = {}

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, v: Any) -> Any:
        if isinstance(v, str) and not v.isdigit():
            raise ValueError(f"status must be a number, found {v!r}")
        return v

    def build(self) -> Response:
        body = self.body_bytes()
        headers = _headers(self.headers)
        if body is not None and not any(k in (b"content-length", b"transfer-encoding") for k, _ in headers):
            headers.append((b"content-length", str(len(body)).encode()))
        return Response(self.status, headers, body)


class _Expected(_Body):
    headers: dict[str, HeaderValues] = {}
    absent: list[str] = []
    matches: dict[str, str] = {}  # header -> regex its single value must fully match (random output)

    @field_validator("matches")
    @classmethod
    def _regexes(cls, value: dict[str, str]) -> dict[str, str]:
        for name, pattern in value.items():
            try:
                re.compile(pattern)
            except re.error as err:
                raise ValueError(f"matches.{name}: bad regex: {err}") from None
        return value


class ExpectRequest(_Expected):
    method: str | None = None
    path: str | None = None
    host: str | None = None
    # rate-limit descriptors the rules set (`set descriptor`), as the local rate limit will see them; an
    # empty value asserts the descriptor is not set
    descriptors: dict[str, str] = {}


class ExpectResponse(_Expected):
    status: int | None = None


class Expect(_Strict):
    request: ExpectRequest | None = None
    response: ExpectResponse | None = None
    local_response: ExpectResponse | None = None
    log: dict[str, str] = {}  # `set log` fields as the access log sees them when the exchange ends
    log_absent: list[str] = []  # fields no rule may have set


class Case(_Strict):
    name: str
    env: dict[str, str] = {}  # the filter's environment variables, as env() reads them
    request: RequestSpec = RequestSpec()
    response: ResponseSpec | None = None
    expect: Expect = Expect()

    def host(self, seed: int | str | None = None) -> HostContext:
        """The case's environment; random_id() draws from os.urandom, or from a stream seeded by `seed`."""
        env = {k.encode(): v.encode("utf-8") for k, v in self.env.items()}
        return HostContext(env) if seed is None else HostContext.seeded(seed, env)


class CaseFile(_Strict):
    cases: list[Case]


# ---- loading ---------------------------------------------------------------------------------------

def _scalar(node: ScalarNode) -> Any:
    """A scalar as JSON data, by the tag YAML 1.2's core schema resolved for it."""
    tag = (node.tag or "").rsplit(":", 1)[-1]
    if tag == "int":
        return int(node.value.replace("_", ""), 0)
    if tag == "float":
        return float(node.value.replace(".inf", "inf").replace(".nan", "nan"))
    if tag == "bool":
        return node.value.lower() == "true"
    if tag == "null":
        return None
    return node.value


def _plain(node: Node, marks: Marks, path: tuple[str | int, ...], typed: bool = False) -> Any:
    """YAML node -> data with every scalar a string, except under `json` keys and `identity.jwt` (JSON data);
    records each path's mark."""
    marks[path] = node.start_mark
    if isinstance(node, MappingNode):
        out = {}
        for key_node, value_node in node.value:
            key = key_node.value
            marks[path + (key,)] = key_node.start_mark
            data = key == "json" or path[-1:] == ("identity",) and key == "jwt"
            out[key] = _plain(value_node, marks, path + (key,), typed=typed or data)
        return out
    if isinstance(node, SequenceNode):
        return [_plain(item, marks, path + (i,), typed) for i, item in enumerate(node.value)]
    assert isinstance(node, ScalarNode)
    return _scalar(node) if typed else node.value


def compose(path: str, text: str | None = None) -> Node | None:
    """Read and compose a YAML file, turning syntax errors into `file:line:col` CaseFileErrors."""
    if text is None:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    try:
        node: Node | None = YAML(typ="safe", pure=True).compose(text)
        return node
    except MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        raise CaseFileError(f"{path}:{where}: error: {err.problem}") from None


def validate(model: type[M], data: Any, marks: Marks, path: str) -> M:
    """model.model_validate(data), reporting each problem at the YAML position recorded in `marks`."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        lines = []
        for e in err.errors():
            loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p in ("str", "list[str]", "int")))
            loc = tuple("json" if p == "json_" else p for p in loc)
            mark = None
            for cut in range(len(loc), -1, -1):
                mark = marks.get(loc[:cut])
                if mark is not None:
                    break
            field = ".".join(str(p) for p in loc) or "(top)"
            message = e["msg"].removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                message = f"unknown key `{loc[-1]}`"
            where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
            lines.append(f"{path}:{where}: error: {field}: {message}")
        raise CaseFileError("\n".join(dict.fromkeys(lines))) from None


def load_cases(path: str, text: str | None = None) -> list[Case]:
    root = compose(path, text)
    if root is None:
        raise CaseFileError(f"{path}:1:1: error: empty case file; expected `cases:`")
    marks: Marks = {}
    data = _plain(root, marks, ())
    return validate(CaseFile, data, marks, path).cases


# ---- comparing --------------------------------------------------------------------------------------

def _show(value: bytes | None) -> str:
    if value is None:
        return "absent"
    return json.dumps(value.decode("utf-8", "backslashreplace"))


def _compare_headers(where: str, expected: _Expected, actual: list[tuple[bytes, bytes]], out: list[str]) -> None:
    for name, want in expected.headers.items():
        key = name.lower().encode()
        got = [v for k, v in actual if k == key]
        want_list = [w.encode() for w in (want if isinstance(want, list) else [want])]
        if got != want_list:
            shown = "absent" if not got else ", ".join(_show(v) for v in got)
            wanted = ", ".join(_show(v) for v in want_list)
            out.append(f"{where}.headers.{name.lower()}: expected {wanted}, got {shown}")
    for name in expected.absent:
        key = name.lower().encode()
        got = [v for k, v in actual if k == key]
        if got:
            out.append(f"{where}.headers.{name.lower()}: expected absent, got {', '.join(_show(v) for v in got)}")
    for name, pattern in expected.matches.items():
        key = name.lower().encode()
        got = [v for k, v in actual if k == key]
        text = got[0].decode("utf-8", "backslashreplace") if len(got) == 1 else None
        if text is None or not re.fullmatch(pattern, text):
            shown = "absent" if not got else ", ".join(_show(v) for v in got)
            out.append(f"{where}.headers.{name.lower()}: expected one value matching {json.dumps(pattern)}, "
                       f"got {shown}")


def _compare_descriptors(expected: dict[str, str], headers: list[tuple[bytes, bytes]], out: list[str]) -> None:
    for key, want in expected.items():
        name = DESCRIPTOR_HEADER_PREFIX + key.encode()
        got = [v for k, v in headers if k.lower() == name]
        shown = "not set" if not got else ", ".join(_show(v) for v in got)
        if got != ([want.encode()] if want else []):
            out.append(f"request.descriptors.{key}: expected {json.dumps(want) if want else 'not set'}, got {shown}")


def _compare_body(where: str, expected: _Expected, actual: bytes | None, out: list[str]) -> None:
    if expected.has_json:
        try:
            parsed = json.loads(actual or b"")
        except ValueError:
            out.append(f"{where}.json: expected {json.dumps(expected.json_)}, "
                       f"got a body that is not JSON: {_show(actual)}")
            return
        if parsed != expected.json_:
            out.append(f"{where}.json: expected {json.dumps(expected.json_)}, got {json.dumps(parsed)}")
        return
    want = expected.body_bytes()
    if want is not None and want != (actual or b""):
        out.append(f"{where}.body: expected {_show(want)}, got {_show(actual or b'')}")


def compare(case: Case, outcome: Outcome) -> list[str]:
    """Mismatches between what the case expects and what happened; empty when it passes."""
    out: list[str] = []
    e = case.expect
    local = outcome.local_response
    if e.request is not None:
        if outcome.request is None:
            status = local.status if local is not None else "-"
            out.append(f"request: expected it to reach the upstream, but the rules answered locally ({status})")
        else:
            up = outcome.request
            for field, got in (("method", up.method), ("path", up.url), ("host", up.host)):
                want = getattr(e.request, field)
                if want is not None and want.encode() != got:
                    out.append(f"request.{field}: expected {_show(want.encode())}, got {_show(got)}")
            _compare_headers("request", e.request, up.headers, out)
            _compare_descriptors(e.request.descriptors, up.headers, out)
            _compare_body("request", e.request, up.body, out)
    if e.response is not None:
        if outcome.response is None:
            reason = f"the rules answered locally ({local.status})" if local else "there was no upstream response"
            out.append(f"response: expected the upstream's response, but {reason}")
        else:
            r = outcome.response
            if e.response.status is not None and e.response.status != r.status:
                out.append(f"response.status: expected {e.response.status}, got {r.status}")
            _compare_headers("response", e.response, r.headers, out)
            _compare_body("response", e.response, r.body, out)
    if e.local_response is not None:
        if local is None:
            out.append("local_response: expected the rules to answer locally, but they did not")
        else:
            if e.local_response.status is not None and e.local_response.status != local.status:
                out.append(f"local_response.status: expected {e.local_response.status}, got {local.status}")
            _compare_headers("local_response", e.local_response, local.headers, out)
            _compare_body("local_response", e.local_response, local.body, out)
    elif local is not None and (e.request is not None or e.response is not None) and not out:
        out.append(f"local_response: the rules answered locally ({local.status}) but the case does not expect it")
    expected_log: list[tuple[str, bytes | None]] = [(n, v.encode()) for n, v in e.log.items()]
    for name, wanted in expected_log + [(n, None) for n in e.log_absent]:
        logged = outcome.log_fields.get(name.encode())
        if wanted != logged:
            out.append(f"log.{name}: expected {_show(wanted)}, got {_show(logged)}")
    return out


@dataclass
class CaseResult:
    case: Case
    mismatches: list[str]
    outcome: Outcome | None = None

    @property
    def passed(self) -> bool:
        return not self.mismatches
