"""Loopback external authorization services for the extAuth tests: an HTTP one and a gRPC one (Envoy's
envoy.service.auth.v3.Authorization). Both allow a request whose `x-allow` header is `yes`, naming the user in
`x-user`; they deny others with 403 and a `www-authenticate` header; `checks` counts what they were asked."""
from __future__ import annotations

import http.server
import threading
from concurrent import futures

import grpc
from envoy.config.core.v3 import base_pb2
from envoy.service.auth.v3 import external_auth_pb2 as auth_pb2
from envoy.service.auth.v3 import external_auth_pb2_grpc as auth_grpc
from envoy.type.v3 import http_status_pb2
from google.rpc import code_pb2, status_pb2


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.server.checks.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        if self.headers.get("x-allow") == "yes":
            self.send_response(200)
            self.send_header("x-user", "alice")
            self.send_header("content-length", "0")
            self.end_headers()
            return
        body = b"denied by the http authz"
        self.send_response(403)
        self.send_header("www-authenticate", 'Basic realm="kgw"')
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


class HttpAuthz:
    def __init__(self) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.checks = []
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def checks(self) -> list[dict]:
        return self.server.checks

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Authorization(auth_grpc.AuthorizationServicer):
    def __init__(self, checks: list) -> None:
        self.checks = checks

    def Check(self, request, context):  # noqa: N802 - the service's name
        http = request.attributes.request.http
        self.checks.append({"path": http.path, "context": dict(request.attributes.context_extensions),
                            **dict(http.headers)})
        if http.headers.get("x-allow") == "yes":
            ok = auth_pb2.OkHttpResponse(headers=[base_pb2.HeaderValueOption(
                header=base_pb2.HeaderValue(key="x-user", value="bob"))])
            return auth_pb2.CheckResponse(status=status_pb2.Status(code=code_pb2.OK), ok_response=ok)
        denied = auth_pb2.DeniedHttpResponse(status=http_status_pb2.HttpStatus(code=http_status_pb2.Forbidden),
                                             body="denied by the grpc authz")
        return auth_pb2.CheckResponse(status=status_pb2.Status(code=code_pb2.PERMISSION_DENIED),
                                      denied_response=denied)


class GrpcAuthz:
    def __init__(self) -> None:
        self.checks: list[dict] = []
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        auth_grpc.add_AuthorizationServicer_to_server(_Authorization(self.checks), self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def stop(self) -> None:
        self.server.stop(grace=None).wait()
