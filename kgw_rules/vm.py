"""The reference VM: runs verified bytecode over an exchange, exactly as the wasm filter must.

`run_exchange(programs, request, response, host=...)` is the whole stream: every program's request phase
in order, then (without a local response) every program's response phase over the upstream's answer.
`host` (a HostContext) answers `env()` and `random_id()`; by default an empty environment and os.urandom.
"""
from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable

from . import runtime as rt
from .bytecode import Program
from .exchange import Headers, HostContext, LocalResponse, Outcome, Request, Response
from .regex import replace_all_budgeted, search
from .runtime.cidr import in_range
from .skips import body_write_blocker, valid_host, valid_method
from .wire.flags import FLAG_WIDE
from .wire.opcodes import BY_CODE, DESCRIPTOR_HEADER_PREFIX, FIELDS, operand_struct
from .wire.program import Constant
from .wire.regex import RegexProgram

Value = bytes | int | bool | None  # what the stack holds (docs/bytecode.md, "Values and coercions")


def _eq(a: Value, b: Value) -> bool:
    if type(a) is int and type(b) is int or type(a) is bool and type(b) is bool:
        return a == b
    return rt.to_str(a) == rt.to_str(b)


def _order(a: Value, b: Value) -> int:
    if type(a) is int and type(b) is int:
        return (a > b) - (a < b)
    x, y = rt.to_str(a), rt.to_str(b)
    return (x > y) - (x < y)


def _to_int(v: Value) -> int | None:
    if type(v) is int:
        return v
    return rt.to_int(rt.to_str(v))


_PURE: dict[str, Callable[..., Value]] = {
    "LOWER": lambda a: rt.lower(rt.to_str(a)), "UPPER": lambda a: rt.upper(rt.to_str(a)),
    "TRIM": lambda a: rt.trim(rt.to_str(a)), "LEN": lambda a: len(rt.to_str(a)),
    "SUBSTR2": lambda s, i: rt.substr(rt.to_str(s), rt.int_of(i)),
    "SUBSTR3": lambda s, i, n: rt.substr(rt.to_str(s), rt.int_of(i), rt.int_of(n)),
    "STARTS_WITH": lambda a, b: rt.starts_with(rt.to_str(a), rt.to_str(b)),
    "ENDS_WITH": lambda a, b: rt.ends_with(rt.to_str(a), rt.to_str(b)),
    "CONTAINS": lambda a, b: rt.contains(rt.to_str(a), rt.to_str(b)),
    "SPLIT_PART": lambda s, sep, n: rt.split_part(rt.to_str(s), rt.to_str(sep), rt.int_of(n)),
    "B64_ENC": lambda a: rt.base64_encode(rt.to_str(a)), "B64_DEC": lambda a: rt.base64_decode(rt.to_str(a)),
    "B64URL_ENC": lambda a: rt.base64url_encode(rt.to_str(a)),
    "B64URL_DEC": lambda a: rt.base64url_decode(rt.to_str(a)),
    "URL_ENC": lambda a: rt.url_encode(rt.to_str(a)), "URL_DEC": lambda a: rt.url_decode(rt.to_str(a)),
    "DEFAULT": lambda a, b: b if a is None else a, "EXISTS": lambda a: a is not None,
    "TO_INT": _to_int, "TO_STR": rt.to_str,
    "SHA256_HEX": lambda a: rt.sha256_hex(rt.to_str(a)), "JSON_ESCAPE": lambda a: rt.json_escape(rt.to_str(a)),
    "ADD": lambda a, b: rt.wrap_i64(rt.int_of(a) + rt.int_of(b)),
    "EQ": _eq, "NE": lambda a, b: not _eq(a, b),
    "LT": lambda a, b: _order(a, b) < 0, "LE": lambda a, b: _order(a, b) <= 0,
    "GT": lambda a, b: _order(a, b) > 0, "GE": lambda a, b: _order(a, b) >= 0,
    "NOT": lambda a: a is not True,
}
_ARITY = {name: fn.__code__.co_argcount for name, fn in _PURE.items()}


class _End(Exception):
    """`respond` ran: no further rules of this stream run."""


class Probe:
    """What ran, for coverage (kgw_rules.coverage): how often each statement started (by the pc of the
    line table) and how each JMPF went, keyed by the program's index in run_exchange's list."""

    def __init__(self) -> None:
        self.statements: Counter[tuple[int, int, int]] = Counter()  # (program, phase, pc)
        self.jumps: Counter[tuple[int, int, int, bool]] = Counter()  # (program, phase, pc, jumped)


class _Phase:
    """One program's phase over the mutable exchange."""

    def __init__(self, program: Program, phase: int, state: _Stream, variables: list[Value], index: int = 0):
        self.p, self.phase, self.s, self.vars, self.index = program, phase, state, variables, index
        self.lines = {e.pc: e.line for e in (program.lines or []) if e.phase == phase}

    @property
    def msg(self) -> Request | Response:
        if self.phase == 0:
            return self.s.request
        assert self.s.response is not None  # the response phase runs on a response
        return self.s.response

    def headers(self) -> Headers:
        return self.msg.headers

    def set_headers(self, headers: Headers) -> None:
        self.msg.headers = headers

    def skip(self, reason: str) -> None:
        self.s.skipped.append(reason)

    def write_body(self, new: bytes | None) -> None:
        """Replace the body (None: unchanged) and keep content-length true."""
        if new is None:
            return
        self.msg.body = new
        if rt.get_first(self.msg.headers, b"content-length") is not None:
            self.set_headers(rt.set_all(self.msg.headers, b"content-length", str(len(new)).encode()))

    def replace(self, index: int, text: bytes, with_: bytes) -> bytes:
        """replace() and `replace body`: a replace-all that runs out of its work budget
        (docs/regex.md, Complexity) leaves the text unchanged and is skipped as `regex_budget`."""
        new, _ = replace_all_budgeted(self.p.regexes[index], text, with_)
        if new is None:
            self.skip("regex_budget")
            return text
        return new

    def field(self, index: int) -> Value:
        name = FIELDS[index]
        req = self.s.request
        if name == "status":
            assert self.s.response is not None  # the verifier allows `status` in the response phase only
            return self.s.response.status
        if name == "body":
            return self.msg.body or b""
        if name == "path":
            return rt.split_target(req.url)[0]
        return {"method": req.method, "host": req.host, "scheme": req.scheme, "url": req.url,
                "route": req.route, "client_ip": req.client_ip}[name]

    def run(self) -> list[Value]:
        """Run to the end of the code or a `stop`; returns what is left on the stack."""
        code, consts = self.p.code[self.phase], self.p.constants
        wide = bool(self.p.flags & FLAG_WIDE)
        stack: list[Value] = []
        probe, key = self.s.probe, (self.index, self.phase)
        pc = 0
        while pc < len(code):
            op = BY_CODE[code[pc]]
            fmt = operand_struct(op.fmt, wide)
            a = fmt.unpack_from(code, pc + 1) if fmt else ()
            if pc in self.lines:
                self.s.trace.append((("request", "response")[self.phase], self.lines[pc]))
                if probe is not None:
                    probe.statements[(*key, pc)] += 1
            if probe is not None and op.name == "JMPF":
                probe.jumps[(*key, pc, stack[-1] is not True)] += 1
            pc += 1 + (fmt.size if fmt else 0)
            name = op.name
            if name in _PURE:
                n = _ARITY[name]
                args = stack[-n:]
                del stack[-n:]
                stack.append(_PURE[name](*args))
            elif name == "CONST":
                stack.append(consts[a[0]])
            elif name in ("NONE", "TRUE", "FALSE"):
                stack.append({"NONE": None, "TRUE": True, "FALSE": False}[name])
            elif name == "LOAD":
                stack.append(self.vars[a[0]])
            elif name == "STORE":
                self.vars[a[0]] = stack.pop()
            elif name == "JMP":
                pc += a[0]
            elif name == "JMPF":
                if stack.pop() is not True:
                    pc += a[0]
            elif name in ("JMPF_KEEP", "JMPT_KEEP"):
                if (stack[-1] is True) == (name == "JMPT_KEEP"):
                    pc += a[0]
                else:
                    stack.pop()
            elif name == "POP":
                stack.pop()
            elif name == "STOP":
                break
            elif name == "CONCAT":
                parts = stack[len(stack) - a[0]:]
                del stack[len(stack) - a[0]:]
                stack.append(b"".join(rt.to_str(v) for v in parts))
            elif name == "IN":
                items = stack[len(stack) - a[0]:]
                del stack[len(stack) - a[0]:]
                subject = stack.pop()
                stack.append(any(_eq(subject, item) for item in items))
            else:
                self.effect(name, a, stack)
        return stack

    def text(self, index: int) -> bytes:
        """String constant `index` (the verifier guarantees the kind of string operands)."""
        value = self.p.constants[index]
        assert isinstance(value, bytes)
        return value

    def effect(self, name: str, a: tuple[int, ...], stack: list[Value]) -> None:
        text = self.text
        req = self.s.request
        if name == "FIELD":
            stack.append(self.field(a[0]))
        elif name == "HDR":
            stack.append(rt.get_first(self.headers(), text(a[0])))
        elif name == "HDR_ALL":
            stack.append(rt.get_joined(self.headers(), text(a[0]), rt.to_str(stack.pop())))
        elif name == "REQ_HDR":
            stack.append(rt.get_first(req.headers, text(a[0])))
        elif name == "QUERY":
            stack.append(rt.query_get(req.url, text(a[0])))
        elif name == "COOKIE":
            stack.append(rt.cookie_get(rt.get_all(req.headers, b"cookie"), text(a[0])))
        elif name == "JSON":
            stack.append(rt.json_get(self.msg.body or b"", text(a[0])))
        elif name == "IN_CIDR":
            stack.append(in_range(rt.to_str(stack.pop()), text(a[0])))
        elif name == "JSON_OF":
            stack.append(rt.json_get(rt.to_str(stack.pop()), text(a[0])))
        elif name == "ENV":
            stack.append(self.s.host.env.get(text(a[0])))
        elif name == "RANDOM_ID":  # the filter: one random_get of 16 bytes, the same draw
            stack.append(rt.base64url_encode(self.s.host.random_bytes(16)))
        elif name in ("MATCH", "MATCH_CAP"):
            regex = self.p.regexes[a[0]]
            subject = rt.to_str(stack.pop())
            found = search(regex, subject)
            if found is not None and name == "MATCH_CAP":
                for i in range(1, regex.ngroups + 1):
                    span = found[i]
                    self.vars[a[1] + i - 1] = None if span is None else subject[span[0]:span[1]]
            stack.append(found is not None)
        elif name == "REPLACE":
            with_ = rt.to_str(stack.pop())
            stack.append(self.replace(a[0], rt.to_str(stack.pop()), with_))
        else:
            self.write(name, a, stack)

    def write(self, name: str, a: tuple[int, ...], stack: list[Value]) -> None:
        text = self.text
        req = self.s.request
        if name in ("SET_HDR", "ADD_HDR", "SET_DESC"):
            value = stack.pop()
            if value is not None:
                value = rt.to_str(value)
                if not rt.valid_header_value(value):
                    return self.skip("header_value")
                if name == "SET_DESC" and not value:
                    value = None  # an empty descriptor is none: Envoy would count "" as a value of its own
            op = rt.add if name == "ADD_HDR" else rt.set_all
            # SET_DESC: the descriptor travels to the local rate limit as a request header (wire/opcodes.py)
            header = DESCRIPTOR_HEADER_PREFIX + text(a[0]) if name == "SET_DESC" else text(a[0])
            self.set_headers(op(self.headers(), header, value))
        elif name == "DEL_HDR":
            self.set_headers(rt.remove(self.headers(), text(a[0])))
        elif name == "REN_HDR":
            self.set_headers(rt.rename(self.headers(), text(a[0]), text(a[1])))
        elif name == "SET_PATH":
            new = rt.set_path(req.url, rt.to_str(stack.pop()))
            if new is None:
                return self.skip("path")
            req.url = new
        elif name == "SET_QUERY":
            value = stack.pop()
            req.url = rt.query_set(req.url, text(a[0]), None if value is None else rt.to_str(value))
        elif name == "DEL_QUERY":
            req.url = rt.query_remove(req.url, text(a[0]))
        elif name == "SET_METHOD":
            value = rt.to_str(stack.pop())
            if not valid_method(value):
                return self.skip("method")
            req.method = value
        elif name == "SET_HOST":
            value = rt.to_str(stack.pop())
            if not valid_host(value):
                return self.skip("host")
            req.host = value
        elif name == "SET_STATUS":
            value = rt.int_of(stack.pop())
            if not 200 <= value <= 599:
                return self.skip("status")
            assert self.s.response is not None  # SET_STATUS is a response-phase opcode
            self.s.response.status = value
        elif name in ("SET_BODY", "SET_JSON", "DEL_JSON", "REPLACE_BODY"):
            value = stack.pop() if name != "DEL_JSON" else None
            # Every body statement the data plane cannot carry out is skipped and counted, even one
            # that would not have changed the bytes.
            blocker = "no_body" if self.msg.body is None else body_write_blocker(req, self.msg, self.phase)
            if blocker:
                return self.skip(blocker)
            body = self.msg.body
            assert body is not None  # blocker is "no_body" otherwise
            if name == "SET_BODY":
                self.write_body(rt.to_str(value))
            elif name == "SET_JSON":
                self.write_body(rt.json_set(body, text(a[0]), value))
            elif name == "DEL_JSON":
                self.write_body(rt.json_remove(body, text(a[0])))
            else:
                new = self.replace(a[0], body, rt.to_str(value))
                self.write_body(new if new != body else None)
        elif name == "SET_LOG":
            value = stack.pop()
            if value is None:
                return None
            value = rt.to_str(value)
            if not rt.valid_header_value(value):  # a line break would forge lines in a text access log
                return self.skip("log_value")
            self.s.log_fields[text(a[0])] = value
        elif name == "RESPOND":
            self.respond(a, stack)
        else:  # pragma: no cover - the verifier admits no other opcode
            raise AssertionError(name)

    def respond(self, a: tuple[int, ...], stack: list[Value]) -> None:
        status, nheaders, has_body = a
        body = rt.to_str(stack.pop()) if has_body else b""
        pairs = stack[len(stack) - 2 * nheaders:]
        del stack[len(stack) - 2 * nheaders:]
        headers = []
        for i in range(nheaders):
            name, value = rt.to_str(pairs[2 * i]), pairs[2 * i + 1]
            if value is None:
                continue
            value = rt.to_str(value)
            if not rt.valid_header_value(value):
                self.skip("header_value")
                continue
            headers.append((name, value))
        if body and rt.get_first(headers, b"content-type") is None:
            headers.append((b"content-type", b"text/plain"))
        self.s.local = LocalResponse(status, headers, body, ("request", "response")[self.phase])
        raise _End


class _Stream:
    def __init__(self, request: Request, response: Response | None, host: HostContext | None = None,
                 probe: Probe | None = None):
        self.host = host or HostContext()
        self.probe = probe
        self.request = request
        self.response = response
        self.local: LocalResponse | None = None
        self.skipped: list[str] = []
        self.log_fields: dict[bytes, bytes] = {}
        self.trace: list[tuple[str, int]] = []


def run_exchange(programs: list[Program], request: Request, response: Response | None = None,
                 host: HostContext | None = None, probe: Probe | None = None) -> Outcome:
    """Run one request (and the upstream's answer, if given) through `programs` in order; `probe`, when
    given, records which statements and branches ran."""
    stream = _Stream(copy.deepcopy(request), copy.deepcopy(response), host, probe)
    variables: list[list[Value]] = [[None] * p.nvars for p in programs]
    try:
        for i, (p, v) in enumerate(zip(programs, variables, strict=True)):
            if p.code[0]:
                _Phase(p, 0, stream, v, i).run()
    except _End:
        return Outcome(None, None, stream.local, stream.skipped, stream.trace, stream.log_fields)
    if stream.response is None:
        return Outcome(stream.request, None, None, stream.skipped, stream.trace, stream.log_fields)
    try:
        for i, (p, v) in enumerate(zip(programs, variables, strict=True)):
            if p.code[1]:
                _Phase(p, 1, stream, v, i).run()
    except _End:
        return Outcome(stream.request, None, stream.local, stream.skipped, stream.trace, stream.log_fields)
    return Outcome(stream.request, stream.response, None, stream.skipped, stream.trace, stream.log_fields)


def evaluate_constant(code: bytes, constants: list[Constant], regexes: list[RegexProgram]) -> Constant | bool | None:
    """Value of a constant expression's code (no exchange: the checker allows no reads in it)."""
    program = Program(FLAG_WIDE, 0, constants, regexes, (code, b""), 0)  # the compiler's scratch code is WIDE
    return _Phase(program, 0, _Stream(Request(), None), []).run()[-1]
