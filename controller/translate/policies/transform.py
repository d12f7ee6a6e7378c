"""A RoutePolicy's `transformation` -> kgw rules source (either `rules:` as written, or the Inja form)."""
from __future__ import annotations

from ...models.kgateway import Transform, TransformationPolicy
from .inja import InjaError, Template, _literal, statements

# kgateway pseudo-header names -> the rules field they rewrite, and the phase where that is possible
PSEUDO = {":path": ("path", "request"), ":method": ("method", "request"), ":authority": ("host", "request"),
          ":status": ("status", "response")}


def _phase(tr: Transform, phase: str) -> list[str]:
    base = f"spec.transformation.{phase}"
    json_ok = tr.body is not None and tr.body.parse_as == "AsJson"
    out: list[str] = []
    for i, h in enumerate(tr.set):
        where = f"{base}.set[{i}].value"
        name = h.name.lower()
        nodes = Template(h.value, where, json_ok).parse()
        if name in PSEUDO:
            field, allowed = PSEUDO[name]
            if allowed != phase:
                raise InjaError(f"{base}.set[{i}].name", 1, 1, f"{h.name} can only be set in the {allowed} phase")
            if field == "status":  # a status that is not a number becomes 0, which the filter skips (`status`)
                out += statements(nodes, lambda e: f"set status = default(int({e}), 0)")
            else:
                out += statements(nodes, lambda e, f=field: f"set {f} = {e}")
        elif name.startswith(":"):
            raise InjaError(f"{base}.set[{i}].name", 1, 1, f"pseudo-header {h.name} cannot be set")
        else:
            out += statements(nodes, lambda e, n=name: f"set header {_literal(n)} = {e}")
    for i, h in enumerate(tr.add):
        if h.name.startswith(":"):
            raise InjaError(f"{base}.add[{i}].name", 1, 1, f"pseudo-header {h.name} cannot be added; use set")
        nodes = Template(h.value, f"{base}.add[{i}].value", json_ok).parse()
        out += statements(nodes, lambda e, n=h.name.lower(): f"add header {_literal(n)} = {e}")
    for i, name in enumerate(tr.remove):
        if name.startswith(":"):
            raise InjaError(f"{base}.remove[{i}]", 1, 1, f"pseudo-header {name} cannot be removed")
        out.append(f"  remove header {_literal(name.lower())}")
    if tr.body is not None and tr.body.value is not None:
        nodes = Template(tr.body.value, f"{base}.body.value", json_ok).parse()
        out += statements(nodes, lambda e: f"set body = {e}")
    return out


def transformation_source(t: TransformationPolicy) -> str:
    """Rules source of a policy's transformation. Raises InjaError for a template kgw cannot compile."""
    if t.rules is not None:
        return t.rules
    blocks = []
    for phase, tr in (("request", t.request), ("response", t.response)):
        if tr is not None:
            body = _phase(tr, phase)
            if body:
                blocks.append(f"on {phase} {{\n" + "\n".join(body) + "\n}\n")
    return "\n".join(blocks)
