"""A loopback AWS Lambda Invoke API that verifies SigV4 (access key, HMAC signature with the secret key,
payload hash), the invoke path, and answers with a Lambda proxy response echoing what it was sent."""
from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import re
import threading
from urllib.parse import quote, unquote

_AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                   r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})")


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def _canonical_uris(path: str) -> list[str]:
    # SigV4 leaves the exact path encoding to the signer's reading of the spec; accept the readings
    # (as sent, encoded once, encoded twice): the signature itself is still fully checked.
    raw = path.split("?", 1)[0]
    once = "/".join(quote(unquote(s), safe="-_.~") for s in raw.split("/"))
    twice = "/".join(quote(s, safe="-_.~") for s in once.split("/"))
    return list(dict.fromkeys([raw, once, twice]))


class LambdaEmulator:
    def __init__(self, access_key: str, secret_key: str, functions: set[str]) -> None:
        self.access_key, self.secret_key, self.functions = access_key, secret_key, functions
        self.invocations: list[dict] = []
        self.rejections: list[str] = []
        emulator = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                problem = emulator.check(self, body)
                if problem:
                    emulator.rejections.append(problem)
                    self._reply(403, {"message": problem})
                    return
                payload = json.loads(body or b"{}")
                m = re.match(r"^/2015-03-31/functions/([^/]+)/invocations$", unquote(self.path))
                emulator.invocations.append({"function": m.group(1), "payload": payload,
                                             "invocation_type": self.headers.get("x-amz-invocation-type")})
                self._reply(200, {"statusCode": 200, "headers": {"content-type": "application/json",
                                                                  "x-lambda": "emulated"},
                                  "body": json.dumps({"function": m.group(1), "path": payload.get("raw_path"),
                                                      "method": payload.get("method"),
                                                      "body": payload.get("body")})})

            def _reply(self, status, doc):
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def check(self, req, body: bytes) -> str:
        m = re.match(r"^/2015-03-31/functions/([^/]+)/invocations$", unquote(req.path))
        if not m:
            return f"bad invoke path {req.path}"
        if m.group(1).rsplit(":function:", 1)[-1].split(":")[0] not in self.functions:
            return f"unknown function {m.group(1)}"
        auth = _AUTH.match(req.headers.get("authorization", ""))
        if not auth:
            return "missing or malformed SigV4 authorization"
        key, date, region, service, signed, signature = auth.groups()
        if key != self.access_key or service != "lambda":
            return f"wrong access key or service ({key}, {service})"
        payload_hash = hashlib.sha256(body).hexdigest()
        if req.headers.get("x-amz-content-sha256", payload_hash) != payload_hash:
            return "payload hash mismatch"
        headers = "".join(f"{h}:{' '.join((req.headers.get(h) or '').split())}\n" for h in signed.split(";"))
        k = _hmac(_hmac(_hmac(_hmac(("AWS4" + self.secret_key).encode(), date), region), service), "aws4_request")
        for uri in _canonical_uris(req.path):
            canonical = "\n".join(["POST", uri, "", headers, signed, payload_hash])
            to_sign = "\n".join(["AWS4-HMAC-SHA256", req.headers.get("x-amz-date", ""),
                                 f"{date}/{region}/{service}/aws4_request",
                                 hashlib.sha256(canonical.encode()).hexdigest()])
            if hmac.compare_digest(hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest(), signature):
                return ""
        return "signature does not match"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
