"""The small runtime pieces: echo upstream, admin server, state dir lock, directory watcher."""
import asyncio
import http.client
import json

import pytest

from kgw_controller import echo
from kgw_controller.admin import AdminServer, json_response
from kgw_controller.sources.watch import DirectorySource
from kgw_controller.statedir import StateDir, default_state_dir


def test_echo_answers_like_the_conformance_echo_server():
    server = echo.start_in_thread("127.0.0.1", 0, service="svc", pod="pod-1")
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
        for _ in range(2):  # keep-alive: the same connection serves twice
            conn.request("POST", "/p?x=1", body=b"data", headers={"X-Echo-Set-Header": "a:1, b : two", "X-M": "v"})
            resp = conn.getresponse()
            body = json.loads(resp.read())
        assert resp.getheader("a") == "1" and resp.getheader("b") == "two"
        assert body["path"] == "/p?x=1" and body["method"] == "POST" and body["proto"] == "HTTP/1.1"
        assert body["headers"]["X-M"] == ["v"] and body["service"] == "svc" and body["pod"] == "pod-1"
        assert body["namespace"] == "default" and "ingress" in body
    finally:
        server.shutdown()
        server.server_close()


def test_admin_server_routes_and_busy_port():
    async def main():
        admin = AdminServer({"/x": lambda: json_response(200, {"ok": True})}, "127.0.0.1:0")
        await admin.start()
        try:
            async def get(path, method="GET"):
                r, w = await asyncio.open_connection("127.0.0.1", admin.port)
                w.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                data = await r.read()
                w.close()
                return data.decode()
            assert (await get("/x?y")).startswith("HTTP/1.1 200") and '"ok": true' in await get("/x")
            assert (await get("/nope")).startswith("HTTP/1.1 404")
            assert (await get("/x", "POST")).startswith("HTTP/1.1 405")
            with pytest.raises(OSError, match="cannot serve admin"):
                await AdminServer({}, f"127.0.0.1:{admin.port}").start()
        finally:
            await admin.stop()
    asyncio.run(main())


def test_state_dir_is_per_directory_and_exclusive(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    a, b = default_state_dir(tmp_path / "a"), default_state_dir(tmp_path / "b")
    assert a != b and a.parent == tmp_path / "xdg" / "kgw" and a == default_state_dir(tmp_path / "a")
    first, second = StateDir(a), StateDir(a)
    first.acquire()
    with pytest.raises(OSError, match="in use by another"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()


def test_directory_source_yields_initial_and_changed_snapshots(tmp_path):
    (tmp_path / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: default}\n"
                                       "spec: {ports: [{port: 80}]}\n")

    async def main():
        src = DirectorySource(tmp_path)
        it = aiter(src)
        first = await anext(it)
        assert list(first.resources.services) == [("default", "a")] and first.errors == []
        (tmp_path / ".swap").write_text("ignored")  # editor noise: no snapshot
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "bad.yml").write_text("kind: [")
        second = await asyncio.wait_for(anext(it), 5)
        assert [e.file.endswith("bad.yml") for e in second.errors] == [True]
        (tmp_path / "svc.yaml").unlink()
        third = await asyncio.wait_for(anext(it), 5)
        assert dict(third.resources.services) == {}
        src.stop()
    asyncio.run(main())
