"""editors/: the TextMate grammar knows every built-in and scopes a line as an editor would (checked with a
small TextMate-style tokenizer: earliest match wins, ties go to the first pattern; begin/end rules nest)."""
import json
import pathlib
import re

import pytest

from kgw_rules.builtins import FIELDS, FUNCTIONS, KEYWORDS

EDITORS = pathlib.Path(__file__).resolve().parents[2] / "editors"
GRAMMAR = json.loads((EDITORS / "vscode" / "syntaxes" / "kgw.tmLanguage.json").read_text())


def _rules(patterns):
    for p in patterns:
        entry = GRAMMAR["repository"][p["include"][1:]] if "include" in p else p
        if "match" in entry or "begin" in entry:
            yield entry
        else:
            yield from _rules(entry["patterns"])


def tokenize(line: str) -> list[tuple[str, str]]:
    """(text, innermost scope) pairs for one line."""
    out: list[tuple[str, str]] = []
    stack: list[dict] = []  # open begin/end rules
    pos = 0
    while pos < len(line):
        patterns = list(_rules(stack[-1].get("patterns", []) if stack else GRAMMAR["patterns"]))
        end = re.compile(stack[-1]["end"]).search(line, pos) if stack else None
        best, best_rule = None, None
        for rule in patterns:
            m = re.compile(rule.get("match") or rule["begin"]).search(line, pos)
            if m and (best is None or m.start() < best.start()):
                best, best_rule = m, rule
        if end is not None and (best is None or end.start() <= best.start()):
            out.append((line[pos:end.start()], stack[-1].get("contentName") or stack[-1]["name"]))
            out.append((end.group(), stack[-1].get("endCaptures", {}).get("0", {}).get("name", stack[-1]["name"])))
            stack.pop()
            pos = end.end()
            continue
        if best is None:
            out.append((line[pos:], stack[-1]["name"] if stack else ""))
            break
        if best.start() > pos:
            out.append((line[pos:best.start()], stack[-1].get("contentName", stack[-1]["name"]) if stack else ""))
        if "beginCaptures" in best_rule:
            out.append((best.group(), best_rule["beginCaptures"]["0"]["name"]))
        elif "captures" in best_rule:
            for k, scope in sorted(best_rule["captures"].items()):
                out.append((best.group(int(k)), scope["name"]))
        else:
            out.append((best.group(), best_rule["name"]))
        if "begin" in best_rule:
            stack.append(best_rule)
        pos = max(best.end(), pos + 1)
    return [(text, scope) for text, scope in out if text.strip() and scope]


def test_every_builtin_and_keyword_is_in_the_grammar():
    text = json.dumps(GRAMMAR)
    for name in list(FUNCTIONS) + list(FIELDS) + list(KEYWORDS):
        assert re.search(rf"\b{name}\b", text), name
    functions = next(p for p in GRAMMAR["repository"]["expression"]["patterns"]
                     if p.get("name") == "support.function.builtin.kgw")
    assert set(re.search(r"\((.*)\)\\b", functions["match"]).group(1).split("|")) == set(FUNCTIONS)


@pytest.mark.parametrize("line, expected", [
    ('  set header x-user = lower(header("x-id"))  # who',
     [("set", "keyword.other.kgw"), ("header", "keyword.other.kgw"), ("x-user", "entity.name.tag.header.kgw"),
      ("=", "keyword.operator.kgw"), ("lower", "support.function.builtin.kgw"),
      ("header", "support.function.builtin.kgw"), ('"', "string.quoted.double.kgw"),
      ("x-id", "string.quoted.double.kgw"), ('"', "string.quoted.double.kgw"),
      ("# who", "comment.line.number-sign.kgw")]),
    ('  if path ~ r"^/v1/(?P<rest>.*)$" and status >= 500 {',
     [("if", "keyword.control.kgw"), ("path", "variable.language.field.kgw"), ("~", "keyword.operator.kgw"),
      ('r"', "string.regexp.kgw"), ("^/v1/(?P<", "string.regexp.kgw"), ("rest", "entity.name.tag.capture.kgw"),
      (">.*)$", "string.regexp.kgw"), ('"', "string.regexp.kgw"), ("and", "keyword.operator.logical.kgw"),
      ("status", "variable.language.field.kgw"), (">=", "keyword.operator.kgw"),
      ("500", "constant.numeric.integer.kgw")]),
    ('on response {', [("on", "keyword.control.phase.kgw"), ("response", "entity.name.section.phase.kgw")]),
    ('  let v = "a{lower(x)}\\n{{"',
     [("let", "storage.type.let.kgw"), ("v", "variable.other.declaration.kgw"), ("=", "keyword.operator.kgw"),
      ('"', "string.quoted.double.kgw"), ("a", "string.quoted.double.kgw"),
      ("{", "punctuation.section.interpolation.begin.kgw"), ("lower", "support.function.builtin.kgw"),
      ("(", "source.kgw.embedded"), ("x", "variable.other.kgw"), (")", "source.kgw.embedded"),
      ("}", "punctuation.section.interpolation.end.kgw"), ("\\n", "constant.character.escape.kgw"),
      ("{{", "constant.character.escape.brace.kgw"), ('"', "string.quoted.double.kgw")]),
])
def test_lines_get_the_scopes_an_editor_shows(line, expected):
    assert tokenize(line) == expected
