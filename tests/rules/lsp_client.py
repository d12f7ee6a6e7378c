"""A small LSP client over stdio for tests: `kgw lsp` as a child process, JSON-RPC with Content-Length
framing, a reader thread so every wait has a timeout. The process is stopped by close()."""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from typing import Any


class LspClient:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "kgw_controller.cli", "lsp"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            self.messages.put(json.loads(out.read(int(headers["content-length"]))))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any], timeout: float = 30) -> Any:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            msg = self.messages.get(timeout=timeout)
            if msg.get("id") == self.next_id and "method" not in msg:
                assert "error" not in msg, msg["error"]
                return msg.get("result")
            self.notifications.append(msg)

    def wait_notification(self, method: str, timeout: float = 30) -> dict[str, Any]:
        for i, msg in enumerate(self.notifications):
            if msg.get("method") == method:
                return self.notifications.pop(i)["params"]
        while True:
            msg = self.messages.get(timeout=timeout)
            if msg.get("method") == method:
                return msg["params"]
            self.notifications.append(msg)

    def initialize(self) -> dict[str, Any]:
        result = self.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        self.notify("initialized", {})
        return result

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.request("shutdown", {}, timeout=10)
                self.notify("exit", {})
                self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
