"""A thin REST layer over the official client's ApiClient: auth, TLS and kubeconfig come from `kubernetes`,
while paths, query parameters and bodies stay plain dicts, so one code path serves every kind (built-in and
custom) and watch streams can be read line by line with full control of resourceVersion."""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import kubernetes

log = logging.getLogger("kgw.kube")
FIELD_MANAGER = "kgw"
WATCH_HEADERS_TIMEOUT = 15


class ApiError(Exception):
    def __init__(self, status: int, reason: str, body: Any = None):
        detail = body.get("message", "") if isinstance(body, dict) else ""
        super().__init__(f"{status} {reason}" + (f": {detail}" if detail else ""))
        self.status, self.reason, self.body = status, reason, body


@dataclass(frozen=True)
class Kind:
    """One API resource: where it lives and how it is called."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None, sub: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace and self.namespaced:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
        if sub:
            base += f"/{sub}"
        return base


def load_config(kubeconfig: str | None) -> kubernetes.client.Configuration:
    cfg = kubernetes.client.Configuration()
    if kubeconfig:
        kubernetes.config.load_kube_config(config_file=kubeconfig, client_configuration=cfg)
    else:
        kubernetes.config.load_incluster_config(client_configuration=cfg)
    # One long-lived watch connection per kind plus writers: the default pool (5 per CPU) would churn.
    cfg.connection_pool_maxsize = 64
    return cfg


class Api:
    """Blocking calls (run them in threads). Every error becomes ApiError with the HTTP status (0: no answer)."""

    def __init__(self, config: kubernetes.client.Configuration):
        self.config = config
        self.client = kubernetes.client.ApiClient(config)

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, query: dict | None = None, body: Any = None,
              content_type: str | None = None, timeout: float | tuple = 15):
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            method, url, headers, body, post = self.client.param_serialize(
                method, path, query_params=list((query or {}).items()), header_params=headers, body=body,
                auth_settings=["BearerToken"])
            resp = self.client.call_api(method, url, headers, body, post, _request_timeout=timeout)
        except Exception as e:  # connection refused, TLS, timeouts: the server is away
            raise ApiError(0, f"{type(e).__name__}: {e}") from None
        if not 200 <= resp.status < 300:
            raw = resp.read()
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = raw
            raise ApiError(resp.status, resp.reason or "", payload)
        return resp

    def request(self, method: str, path: str, query: dict | None = None, body: Any = None,
                content_type: str | None = None, timeout: float = 15) -> Any:
        try:
            data = self._call(method, path, query, body, content_type, timeout).read()
        except ApiError:
            raise
        except Exception as e:  # the connection broke while reading the answer
            raise ApiError(0, f"{type(e).__name__}: {e}") from None
        return json.loads(data) if data else None

    def get(self, path: str, **query) -> Any:
        return self.request("GET", path, query)

    def apply(self, kind: Kind, obj: dict) -> dict:
        """Server-side apply with our field manager; force takes ownership of fields another manager set."""
        meta = obj["metadata"]
        return self.request("PATCH", kind.path(meta.get("namespace"), meta["name"]),
                            {"fieldManager": FIELD_MANAGER, "force": "true"}, obj, "application/apply-patch+yaml")

    def delete(self, kind: Kind, namespace: str | None, name: str) -> bool:
        """True if deleted, False if it was already gone."""
        try:
            self.request("DELETE", kind.path(namespace, name), body={"propagationPolicy": "Background"})
            return True
        except ApiError as e:
            if e.status == 404:
                return False
            raise

    def watch_lines(self, path: str, query: dict, timeout_seconds: int) -> Iterator[dict]:
        """Yield decoded watch events until the server ends the stream (timeoutSeconds) or it breaks."""
        q = {**query, "watch": "true", "allowWatchBookmarks": "true", "timeoutSeconds": str(timeout_seconds)}
        # The response headers must come quickly: an API server that has just restarted can accept a watch
        # and stall it (custom resources, for a few seconds), and such a watch would never deliver an event.
        # Once the stream is open, the read timeout only bounds how long a silently dead connection can hold us.
        resp = self._call("GET", path, q, timeout=(5, WATCH_HEADERS_TIMEOUT)).response
        sock = getattr(getattr(resp, "connection", None), "sock", None)
        if sock is not None:
            sock.settimeout(timeout_seconds + 15)
        buf = b""
        try:
            for chunk in resp.stream(65536, decode_content=True):
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if line.strip():
                        yield json.loads(line)
        except Exception as e:
            raise ApiError(0, f"watch broken: {type(e).__name__}: {e}") from None
        finally:
            resp.release_conn()

    def has_api(self, group_version: str, plural: str) -> bool:
        """Discovery: does the server serve `plural` in `group_version`?"""
        path = f"/apis/{group_version}" if "/" in group_version else f"/api/{group_version}"
        try:
            doc = self.get(path)
        except ApiError as e:
            if e.status == 404:
                return False
            raise
        return any(r.get("name") == plural for r in doc.get("resources", []))
