"""The HTTP echo as the conformance echo: h2c prior knowledge on its one port, and the `delay` query parameter."""
import http.client
import json
import socket
import time

import pytest

from kgw_controller import echo

h2_connection = pytest.importorskip("h2.connection")
h2_config = pytest.importorskip("h2.config")
h2_events = pytest.importorskip("h2.events")


@pytest.fixture
def server():
    s = echo.start_in_thread("127.0.0.1", 0, namespace="ns", service="infra-backend-v1", pod="pod-1")
    try:
        yield s
    finally:
        s.shutdown()
        s.server_close()


def test_h2c_prior_knowledge_is_echoed(server):
    conn = h2_connection.H2Connection(config=h2_config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    with socket.create_connection(server.server_address, timeout=5) as s:
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [(":method", "GET"), (":path", "/h2?x=1"), (":scheme", "http"),
                                   (":authority", "example.com"), ("x-marker", "m")], end_stream=True)
        s.sendall(conn.data_to_send())
        body, status = b"", None
        while True:
            events = conn.receive_data(s.recv(65535))
            s.sendall(conn.data_to_send())
            for event in events:
                if isinstance(event, h2_events.ResponseReceived):
                    status = dict(event.headers)[":status"]
                elif isinstance(event, h2_events.DataReceived):
                    body += event.data
            if any(isinstance(e, h2_events.StreamEnded) for e in events):
                break
    echoed = json.loads(body)
    assert status == "200" and echoed["proto"] == "HTTP/2.0"
    assert (echoed["path"], echoed["host"], echoed["method"]) == ("/h2?x=1", "example.com", "GET")
    assert echoed["headers"]["X-Marker"] == ["m"] and echoed["pod"] == "pod-1"
    assert server.seen[-1]["path"] == "/h2?x=1"


def test_delay_query_parameter_holds_the_answer(server):
    conn = http.client.HTTPConnection(*server.server_address, timeout=5)
    start = time.monotonic()
    conn.request("GET", "/slow?delay=300ms")
    resp = conn.getresponse()
    assert resp.status == 200 and json.loads(resp.read())["proto"] == "HTTP/1.1"
    assert time.monotonic() - start >= 0.3  # waited at least the delay asked for (a lower bound, not a timing)
    conn.close()
