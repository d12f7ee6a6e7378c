"""`kgw lsp`: a Language Server for rules files over stdio (pygls), serving kgw_rules.editor.

Diagnostics as you type (every change is compiled; errors and warnings with their hints), hover on
built-ins (signature and absence semantics) and on variables, completion of functions, fields, keywords and
declared names, go to definition of variables, constants and captures, and whole-file formatting (`kgw fmt`).
pygls is an optional dependency (`pip install 'kgw[lsp]'`): the gateway itself never needs it.
"""
from __future__ import annotations

from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from .diagnostics import CompileError, Span
from .editor import analyse, completions, definition, hover
from .format import format_source

_KINDS = {"function": lsp.CompletionItemKind.Function, "field": lsp.CompletionItemKind.Field,
          "keyword": lsp.CompletionItemKind.Keyword, "variable": lsp.CompletionItemKind.Variable}


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Positions:
    """kgw positions (1-based, columns in characters) <-> LSP positions (0-based, columns in UTF-16 units)."""

    def __init__(self, source: str):
        self.lines = source.split("\n")

    def _line(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""

    def to_lsp(self, line: int, col: int) -> lsp.Position:
        return lsp.Position(line=max(line - 1, 0), character=_utf16(self._line(line)[:max(col - 1, 0)]))

    def range(self, span: Span) -> lsp.Range:
        return lsp.Range(start=self.to_lsp(span.line, span.col), end=self.to_lsp(span.end_line, span.end_col))

    def from_lsp(self, pos: lsp.Position) -> tuple[int, int]:
        text, units, col = self._line(pos.line + 1), 0, 0
        while col < len(text) and units < pos.character:
            units += _utf16(text[col])
            col += 1
        return pos.line + 1, col + 1


def _filename(uri: str) -> str:
    return uri.rsplit("/", 1)[-1] or uri


def build_server() -> LanguageServer:
    server = LanguageServer("kgw-rules", "0.1.0", text_document_sync_kind=lsp.TextDocumentSyncKind.Full)

    def text(uri: str) -> str:
        return server.workspace.get_text_document(uri).source

    def publish(uri: str) -> None:
        source = text(uri)
        where = _Positions(source)
        diagnostics = [
            lsp.Diagnostic(range=where.range(d.span), message=d.message + (f"\nhint: {d.hint}" if d.hint else ""),
                           severity=lsp.DiagnosticSeverity.Error if d.severity == "error"
                           else lsp.DiagnosticSeverity.Warning, source="kgw")
            for d in analyse(source, _filename(uri)).diagnostics]
        server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
        publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        server.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def on_hover(params: lsp.HoverParams) -> lsp.Hover | None:
        source = text(params.text_document.uri)
        where = _Positions(source)
        found = hover(analyse(source), *where.from_lsp(params.position))
        if found is None:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=found[0]),
                         range=where.range(found[1]))

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION)
    def on_completion(params: lsp.CompletionParams) -> lsp.CompletionList:
        items = [lsp.CompletionItem(label=c.label, kind=_KINDS[c.kind], detail=c.detail,
                                    documentation=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown,
                                                                    value=c.documentation) if c.documentation else None)
                 for c in completions(analyse(text(params.text_document.uri)))]
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def on_definition(params: lsp.DefinitionParams) -> lsp.Location | None:
        source = text(params.text_document.uri)
        where = _Positions(source)
        span = definition(analyse(source), *where.from_lsp(params.position))
        return None if span is None else lsp.Location(uri=params.text_document.uri, range=where.range(span))

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def on_formatting(params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        source = text(params.text_document.uri)
        try:
            formatted = format_source(source)
        except CompileError:
            return None  # the diagnostics already say why
        if formatted == source:
            return []
        lines = source.split("\n")
        whole = lsp.Range(start=lsp.Position(line=0, character=0),
                          end=lsp.Position(line=len(lines) - 1, character=_utf16(lines[-1])))
        return [lsp.TextEdit(range=whole, new_text=formatted)]

    return server


def main(_args: Any = None) -> int:
    build_server().start_io()
    return 0
