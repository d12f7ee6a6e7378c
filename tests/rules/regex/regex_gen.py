"""Hypothesis strategies: random patterns from the supported subset, each with a Python `re` twin.

A generated pattern is a `Gen(ours, py, nullable)`: `ours` is kgw syntax, `py` the Python bytes-mode
pattern with the same meaning. Constructs whose semantics differ between the engines are not
generated (see docs/regex.md, "Testing against Python's re"): `$` is written `\\Z` for Python, `\\s`
is spelled out (Python's includes \\v), and `*`, `+` and `{n,}` only repeat sub-patterns that cannot
match the empty string, where a backtracking engine and RE2 disagree on when a loop stops.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import strategies as st


@dataclass(frozen=True)
class Gen:
    ours: str
    py: str
    nullable: bool
    groups: int = 0
    consumes: bool = True  # False for assertions, which cannot be repeated in Python
    alt: bool = False  # a top-level alternation, which needs (?:...) inside a concatenation


# (kgw text, Python text) for single bytes; both sides spell non-ASCII bytes and specials as escapes
# except the UTF-8 character, which kgw takes as text and Python as its two bytes.
_LITERALS = [("a", "a"), ("b", "b"), ("c", "c"), ("A", "A"), ("x", "x"), ("_", "_"), ("0", "0"), ("-", "\\-"),
             (" ", " "), ("\\n", "\\n"), ("\\.", "\\."), ("\\xe9", "\\xe9"), ("é", "\\xc3\\xa9"),
             ("\\x{ff}", "\\xff")]
_SPACE = "\\t\\n\\f\\r "
_SHORT = [("\\d", "\\d"), ("\\w", "\\w"), ("\\s", f"[{_SPACE}]"), ("\\D", "\\D"), ("\\W", "\\W"),
          ("\\S", f"[^{_SPACE}]"), (".", ".")]
_CLASS_ITEMS = [("a", "a"), ("b", "b"), ("x", "x"), ("\\-", "\\-"), ("\\n", "\\n"), ("a-c", "a-c"),
                ("0-9", "0-9"), ("\\d", "\\d"), ("\\w", "\\w"), ("\\s", _SPACE), ("\\xe9", "\\xe9"),
                ("\\x80-\\xff", "\\x80-\\xff"), ("A-Z", "A-Z")]
_ASSERTS = [("^", "\\A"), ("$", "\\Z"), ("\\A", "\\A"), ("\\z", "\\Z"), ("\\b", "\\b"), ("\\B", "\\B")]

ALPHABET = b"abcAx_0- \n.\xe9\xc3\xa9\xff"


def _leaf(pair, nullable=False, consumes=True):
    return Gen(pair[0], pair[1], nullable, 0, consumes)


@st.composite
def _classes(draw):
    items = draw(st.lists(st.sampled_from(_CLASS_ITEMS), min_size=1, max_size=4))
    neg = "^" if draw(st.booleans()) else ""
    return Gen("[" + neg + "".join(i[0] for i in items) + "]", "[" + neg + "".join(i[1] for i in items) + "]", False)


LEAVES = st.one_of(
    st.sampled_from(_LITERALS).map(_leaf),
    st.sampled_from(_SHORT).map(_leaf),
    _classes(),
    st.sampled_from(_ASSERTS).map(lambda p: _leaf(p, nullable=True, consumes=False)),
)


def _wrap(g: Gen) -> Gen:
    return Gen(f"(?:{g.ours})", f"(?:{g.py})", g.nullable, g.groups, g.consumes) if g.alt else g


def _concat(parts):
    parts = [_wrap(p) for p in parts]
    return Gen("".join(p.ours for p in parts), "".join(p.py for p in parts), all(p.nullable for p in parts),
               sum(p.groups for p in parts), any(p.consumes for p in parts))


def _alt(parts):
    parts = [_wrap(p) for p in parts]
    return Gen("|".join(p.ours for p in parts), "|".join(p.py for p in parts), any(p.nullable for p in parts),
               sum(p.groups for p in parts), True, alt=True)


@st.composite
def _group(draw, children):
    g = draw(children)
    kind = draw(st.sampled_from(["cap", "named", "noncap", "icase"]))
    if kind == "cap":
        return Gen(f"({g.ours})", f"({g.py})", g.nullable, g.groups + 1, g.consumes)
    if kind == "named":  # "@" becomes a unique name once the whole pattern is known
        return Gen(f"(?P<@>{g.ours})", f"(?P<@>{g.py})", g.nullable, g.groups + 1, g.consumes)
    if kind == "icase":
        return Gen(f"(?i:{g.ours})", f"(?i:{g.py})", g.nullable, g.groups, g.consumes)
    return Gen(f"(?:{g.ours})", f"(?:{g.py})", g.nullable, g.groups, g.consumes)


@st.composite
def _repeat(draw, children):
    g = draw(children)
    if not g.consumes:
        return g
    ops = ["?", "{0,2}", "{1,3}", "{2}"] + ([] if g.nullable else ["*", "+", "{2,}"])
    op = draw(st.sampled_from(ops))
    lazy = "?" if draw(st.booleans()) else ""
    # Python's parser would read `é*` as repeating the last byte only, so repeat a group instead.
    return Gen(f"(?:{g.ours}){op}{lazy}", f"(?:{g.py}){op}{lazy}", g.nullable or op[0] in "?*" or op.startswith("{0"),
               g.groups, True)


def _extend(children):
    return st.one_of(
        st.lists(children, min_size=2, max_size=4).map(_concat),
        st.lists(children, min_size=2, max_size=3).map(_alt),
        _group(children),
        _repeat(children),
    )


def _name_groups(g: Gen) -> Gen:
    counter = iter(range(1, 1000))
    ours = re.sub("@", lambda _: f"g{next(counter)}", g.ours)
    counter = iter(range(1, 1000))
    py = re.sub("@", lambda _: f"g{next(counter)}", g.py)
    return Gen(ours, py, g.nullable, g.groups, g.consumes, g.alt)


PATTERNS = st.recursive(LEAVES, _extend, max_leaves=12).map(_name_groups).filter(lambda g: g.groups <= 32)

INPUTS = st.lists(st.sampled_from(list(ALPHABET)), max_size=24).map(bytes)
