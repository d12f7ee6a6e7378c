"""A RoutePolicy's `transformation` -> kgw rules source (either `rules:` as written, or the Inja form).

The Inja form is translated into rules source the user never wrote, so that source comes with a map from
each generated line back to the template field (and the offsets of its expressions): a compile error of the
generated code is reported at `spec.transformation.<phase>.set[i].value:LINE:COL` of the template.
"""
from __future__ import annotations

from dataclasses import dataclass

from kgw_rules import Diagnostic
from kgw_rules.wire import stats as wire_stats

from ...models.kgateway import Transform, TransformationPolicy
from .inja import InjaError, Line, Origin, Template, _literal, statements

# kgateway pseudo-header names -> the rules field they rewrite, and the phase where that is possible
PSEUDO = {":path": ("path", "request"), ":method": ("method", "request"), ":authority": ("host", "request"),
          ":status": ("status", "response")}


@dataclass(frozen=True)
class LineOrigin:
    """Where one generated line came from: the template field, its text, the expressions it holds, and the
    field holding the header name the line writes (for errors about that name)."""

    where: str
    template: str
    exprs: tuple[tuple[str, Origin], ...] = ()
    name_where: str | None = None
    name_code: str | None = None


SourceMap = dict[int, LineOrigin]  # generated line number (1-based) -> origin


def _lines(out: list[tuple[str, LineOrigin]], generated: list[Line], where: str, template: str,
           name_where: str | None = None, name_code: str | None = None) -> None:
    for text, exprs in generated:
        out.append((text, LineOrigin(where, template, tuple(exprs), name_where, name_code)))


def _phase(tr: Transform, phase: str) -> list[tuple[str, LineOrigin]]:
    base = f"spec.transformation.{phase}"
    parse_as = tr.body.parse_as if tr.body is not None else "AsString"
    json_ok = parse_as == "AsJson"
    out: list[tuple[str, LineOrigin]] = []
    for i, h in enumerate(tr.set):
        where = f"{base}.set[{i}].value"
        name = h.name.lower()
        nodes = Template(h.value, where, json_ok).parse()
        if name in PSEUDO:
            field, allowed = PSEUDO[name]
            if allowed != phase:
                raise InjaError(f"{base}.set[{i}].name", 1, 1, f"{h.name} can only be set in the {allowed} phase")
            if field == "status":  # a status that is not a number becomes 0, which the filter skips (`status`)
                _lines(out, statements(nodes, lambda e: f"set status = default(int({e}), 0)"), where, h.value)
            else:
                _lines(out, statements(nodes, lambda e, f=field: f"set {f} = {e}"), where, h.value)
        elif name.startswith(":"):
            raise InjaError(f"{base}.set[{i}].name", 1, 1, f"pseudo-header {h.name} cannot be set")
        else:
            _lines(out, statements(nodes, lambda e, n=name: f"set header {_literal(n)} = {e}"), where, h.value,
                   f"{base}.set[{i}].name", _literal(name))
    for i, h in enumerate(tr.add):
        if h.name.startswith(":"):
            raise InjaError(f"{base}.add[{i}].name", 1, 1, f"pseudo-header {h.name} cannot be added; use set")
        where = f"{base}.add[{i}].value"
        nodes = Template(h.value, where, json_ok).parse()
        lower = h.name.lower()
        _lines(out, statements(nodes, lambda e, n=lower: f"add header {_literal(n)} = {e}"), where,
               h.value, f"{base}.add[{i}].name", _literal(lower))
    for i, name in enumerate(tr.remove):
        if name.startswith(":"):
            raise InjaError(f"{base}.remove[{i}]", 1, 1, f"pseudo-header {name} cannot be removed")
        code = _literal(name.lower())
        origin = LineOrigin(f"{base}.remove[{i}]", name, (), f"{base}.remove[{i}]", code)
        out.append((f"  remove header {code}", origin))
    # proxy-wasm cannot write Envoy dynamic metadata; the entry becomes the log field NAMESPACE.KEY (filter
    # state), which access-log formats read, %DYNAMIC_METADATA(NAMESPACE:KEY)% included (telemetry.py)
    for i, md in enumerate(tr.dynamic_metadata):
        name = f"{md.namespace}.{md.key}"
        if not wire_stats.LOG_FIELD_NAME.match(name):
            raise InjaError(f"{base}.dynamicMetadata[{i}]", 1, 1, f"namespace.key `{name}` cannot be a log field: "
                            "kgw keeps dynamicMetadata as the log field NAMESPACE.KEY, up to 128 letters, digits, "
                            "`_`, `.` and `-`")
        where = f"{base}.dynamicMetadata[{i}].value.stringValue"
        nodes = Template(md.value.string_value, where, json_ok).parse()
        _lines(out, statements(nodes, lambda e, n=name: f"set log {_literal(n)} = {e}"), where,
               md.value.string_value)
    # parseAs None: kgateway neither buffers nor transforms the body, and ignores body.value
    if tr.body is not None and tr.body.value is not None and parse_as != "None":
        where = f"{base}.body.value"
        nodes = Template(tr.body.value, where, json_ok).parse()
        _lines(out, statements(nodes, lambda e: f"set body = {e}"), where, tr.body.value)
    return out


def transformation_source(t: TransformationPolicy) -> tuple[str, SourceMap]:
    """Rules source of a policy's transformation and, for the template form, its map back to the templates.
    Raises InjaError for a template kgw cannot compile."""
    if t.rules is not None:
        return t.rules, {}
    text: list[str] = []
    origins: SourceMap = {}
    for phase, tr in (("request", t.request), ("response", t.response)):
        body = _phase(tr, phase) if tr is not None else []
        if not body:
            continue
        if text:
            text.append("")
        text.append(f"on {phase} {{")
        for line, origin in body:
            text.append(line)
            origins[len(text)] = origin
        text.append("}")
    return "\n".join(text) + ("\n" if text else ""), origins


def _template_position(template: str, offset: int) -> tuple[int, int]:
    line = template.count("\n", 0, offset) + 1
    return line, offset - (template.rfind("\n", 0, offset) + 1) + 1


def template_location(d: Diagnostic, source: str, origins: SourceMap) -> str:
    """`field:line:col` in the template a diagnostic of the generated source comes from."""
    origin = origins.get(d.span.line)
    if origin is None:  # a line with no template behind it (`on request {`): say which policy part
        return next(iter(origins.values())).where + ":1:1" if origins else "spec.transformation:1:1"
    text = source.split("\n")[d.span.line - 1]
    col, wrong = d.span.col - 1, text[d.span.col - 1:d.span.end_col - 1 if d.span.end_line == d.span.line else None]
    if origin.name_code is not None:
        at = text.find(origin.name_code)
        if at <= col < at + len(origin.name_code):
            return f"{origin.name_where}:1:1"
    cursor = 0
    for code, where in origin.exprs:
        at = text.find(code, cursor)
        if at < 0:
            continue
        cursor = at + len(code)
        if at <= col < cursor:
            pos = next((p for frag, p in where.frags if frag == wrong), where.pos)
            return "{}:{}:{}".format(origin.where, *_template_position(origin.template, pos))
    return f"{origin.where}:1:1"
