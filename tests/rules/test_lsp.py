"""`kgw lsp` driven over stdio as an editor drives it: diagnostics while typing, hover, completion,
go to definition, formatting."""
import pytest

from kgw_rules.builtin_docs import FIELD_DOCS, FUNCTION_DOCS
from kgw_rules.builtins import FIELDS, FUNCTIONS
from kgw_rules.editor import analyse, definition, hover

from .lsp_client import LspClient

pytest.importorskip("pygls")

URI = "file:///work/api.kgw"
SOURCE = '''let prefix = "/api"

on request {
  if path ~ r"^/v1/(?P<rest>.*)$" {
    set path = "/v2/{rest}"
    set header x-rest = default(rest, "none")
  }
  let user = lower(header("x-user"))
}
'''


@pytest.fixture(scope="module")
def client():
    c = LspClient()
    try:
        caps = c.initialize()["capabilities"]
        assert caps["hoverProvider"] and caps["definitionProvider"] and caps["documentFormattingProvider"]
        assert "completionProvider" in caps
        c.notify("textDocument/didOpen", {"textDocument": {"uri": URI, "languageId": "kgw", "version": 1,
                                                           "text": SOURCE}})
        assert c.wait_notification("textDocument/publishDiagnostics") == {"uri": URI, "diagnostics": []}
        yield c
    finally:
        c.close()


def change(client, text, version):
    client.notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": version},
                                             "contentChanges": [{"text": text}]})
    return client.wait_notification("textDocument/publishDiagnostics")


def at(line, character):
    return {"textDocument": {"uri": URI}, "position": {"line": line, "character": character}}


def test_diagnostics_follow_each_change(client):
    typo = SOURCE.replace("lower(", "lowr(")
    published = change(client, typo, 2)
    [diag] = published["diagnostics"]
    assert diag["message"].startswith("unknown function `lowr`") and "did you mean `lower`?" in diag["message"]
    assert diag["range"] == {"start": {"line": 7, "character": 13}, "end": {"line": 7, "character": 17}}
    assert diag["severity"] == 1 and diag["source"] == "kgw"

    unclosed = SOURCE.replace('lower(header("x-user"))', 'lower(header("x-user")')
    [diag] = change(client, unclosed, 3)["diagnostics"]
    assert diag["message"].startswith("this `(` is never closed (found `}` at 9:1 first)")
    assert diag["range"]["start"] == {"line": 7, "character": 18}

    warning = SOURCE.replace("  let user", "  stop\n  let user")
    [diag] = change(client, warning, 4)["diagnostics"]
    assert diag["severity"] == 2 and diag["message"].startswith("unreachable statement")
    assert change(client, SOURCE, 5)["diagnostics"] == []


def test_hover_on_builtins_gives_signature_and_absence(client):
    change(client, SOURCE, 6)
    result = client.request("textDocument/hover", at(7, 22))  # inside `header` of lower(header(...))
    assert result["contents"]["kind"] == "markdown"
    assert 'header("name") -> string?' in result["contents"]["value"]
    assert "Absent when the header is not there" in result["contents"]["value"]
    assert result["range"] == {"start": {"line": 7, "character": 19}, "end": {"line": 7, "character": 25}}
    field = client.request("textDocument/hover", at(3, 5))  # `path`
    assert "path: string" in field["contents"]["value"]
    capture = client.request("textDocument/hover", at(5, 32))  # `rest` in default(rest, ...)
    assert "capture rest: string?" in capture["contents"]["value"]
    assert "absent when the group did not take part" in capture["contents"]["value"]
    assert client.request("textDocument/hover", at(0, 0)) is None  # `let`


def test_completion_offers_functions_fields_and_names(client):
    result = client.request("textDocument/completion", at(7, 13))
    by_label = {item["label"]: item for item in result["items"]}
    assert by_label["header"]["kind"] == 3 and by_label["header"]["detail"] == 'header("name") -> string?'
    assert by_label["path"]["kind"] == 5 and by_label["status"]["detail"] == "status: int"
    assert by_label["respond"]["kind"] == 14
    assert by_label["rest"]["detail"] == "capture rest: string?"
    assert by_label["prefix"]["detail"] == "const prefix: string"
    assert set(FUNCTIONS) <= set(by_label) and set(FIELDS) <= set(by_label)


def test_go_to_definition_of_a_capture_and_a_variable(client):
    result = client.request("textDocument/definition", at(4, 22))  # `rest` inside "/v2/{rest}"
    assert result == {"uri": URI, "range": {"start": {"line": 3, "character": 23},
                                            "end": {"line": 3, "character": 27}}}
    assert SOURCE.split("\n")[3][23:27] == "rest"
    const = client.request("textDocument/definition", at(3, 2))  # `if`: nothing to go to
    assert const is None


def test_formatting_returns_the_canonical_layout(client):
    change(client, "on request {set header x = \"1\"}", 7)
    [edit] = client.request("textDocument/formatting", {"textDocument": {"uri": URI},
                                                        "options": {"tabSize": 2, "insertSpaces": True}})
    assert edit["newText"] == 'on request {\n  set header x = "1"\n}\n'
    change(client, "on request {", 8)
    assert client.request("textDocument/formatting", {"textDocument": {"uri": URI},
                                                      "options": {"tabSize": 2, "insertSpaces": True}}) is None


def test_every_builtin_is_documented():
    assert set(FUNCTION_DOCS) == set(FUNCTIONS)
    assert set(FIELD_DOCS) == set(FIELDS)
    for name, (signature, text) in FUNCTION_DOCS.items():
        assert signature.startswith(name + "(") and text
        if FUNCTIONS[name].result is not None and FUNCTIONS[name].result.optional:
            assert "absent" in text.lower()


def test_hover_works_while_the_file_does_not_parse():
    a = analyse('on request {\n  set header x = base64_decode(\n')
    assert a.program is None
    text, span = hover(a, 2, 20)
    assert "base64_decode(s) -> string?" in text and "absent when s is malformed" in text
    assert (span.line, span.col) == (2, 18)


def test_definition_of_a_variable_is_its_let():
    a = analyse(SOURCE + "on response {\n  set header x = user\n}\n")
    span = definition(a, 11, 19)
    assert (span.line, span.col, span.end_col) == (8, 7, 11)


def test_without_pygls_the_command_says_what_to_install():
    import subprocess
    import sys

    code = ("import sys; sys.modules['pygls'] = None; sys.modules['pygls.lsp.server'] = None; "
            "from kgw_controller.cli import main; sys.exit(main(['lsp']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "kgw lsp needs pygls" in r.stderr and "pip install 'kgw[lsp]'" in r.stderr
