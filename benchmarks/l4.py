"""Connection-level cost of a TCPRoute: bulk TCP throughput and Envoy CPU per MB through the listener kgw
generates (tcp_proxy), against the same transfer over a direct connection (docs/performance.md, "Data plane:
TCP proxying").

    python benchmarks/l4.py [--rounds 7] [--seconds 2] [--connections 1] [--chunk 262144]

The Envoy under test (--concurrency 1) runs the Listener and Cluster that kgw's translate + to_xds make for a
Gateway with one TCP listener and one TCPRoute (the cluster made static, as the golden validation does). A sink
process on loopback reads and discards; the sender (another process) writes `--chunk`-byte buffers on
`--connections` connections for `--seconds`. Every round runs `direct` then `envoy` (order alternating), so
drift in machine load hits both alike; medians over rounds are reported. Envoy CPU per MB = (utime + stime of
the Envoy process over the window) / MB the sink received. The last line is the one scripts track:
    l4: envoy/direct throughput=... envoy_cpu_ms_per_mb=...
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import pathlib
import socket
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from benchmarks.dataplane import cpu_seconds  # noqa: E402
from benchmarks.kgw_static import static_config  # noqa: E402
from benchmarks.measure import interleaved_rounds, per_round_ratios  # noqa: E402
from tests.e2e.envoy import Envoy, free_port  # noqa: E402
from tests.support.manifests import gateway_yaml, service_yaml  # noqa: E402

MB = 1024 * 1024


def _manifests(listen_port: int, sink_port: int) -> str:
    return "---\n".join([gateway_yaml([("tcp", listen_port, "TCP")], name="bench"),
                          service_yaml("sink", sink_port, port_name="tcp"), """\
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: bulk, namespace: default}
spec:
  parentRefs: [{name: bench}]
  rules: [{backendRefs: [{name: sink, port: 80}]}]
"""])


def envoy_config(listen_port: int, sink_port: int) -> tuple[list[dict], list[dict]]:
    """kgw's own Listener and Cluster for the benchmark Gateway, as static resources."""
    return static_config(_manifests(listen_port, sink_port), listen_port)


def _sink(port: int, ready, received) -> None:
    """Accepts connections and discards what they send; `received` counts bytes."""
    server = socket.create_server(("127.0.0.1", port), backlog=64)
    ready.set()
    buf = bytearray(1 << 20)

    def drain(conn):
        view, total = memoryview(buf), 0
        with conn:
            while n := conn.recv_into(view):
                total += n
        with received.get_lock():  # once per connection: a lock per read would cost more than the read
            received.value += total

    while True:
        conn, _ = server.accept()
        threading.Thread(target=drain, args=(conn,), daemon=True).start()


def _send(port: int, seconds: float, connections: int, chunk: int) -> None:
    data = b"\0" * chunk
    stop = time.monotonic() + seconds

    def one():
        with socket.create_connection(("127.0.0.1", port)) as s:
            while time.monotonic() < stop:
                s.sendall(data)
    threads = [threading.Thread(target=one) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def measure(port: int, received, seconds: float, connections: int, chunk: int, envoy_pid: int | None) -> dict:
    """One bulk transfer to `port`: MB/s at the sink (bytes counted when each connection ends), Envoy CPU ms
    per MB."""
    before, cpu0, t0 = received.value, cpu_seconds(envoy_pid) if envoy_pid else 0.0, time.monotonic()
    sender = multiprocessing.Process(target=_send, args=(port, seconds, connections, chunk))
    sender.start()
    sender.join()
    last = -1
    while received.value != last:  # every connection drained and counted (the sink adds at EOF)
        last = received.value
        time.sleep(0.3)
    wall = time.monotonic() - t0 - 0.3
    mb = (received.value - before) / MB
    out = {"mb_per_s": mb / wall}
    if envoy_pid:
        out["cpu_ms_per_mb"] = (cpu_seconds(envoy_pid) - cpu0) * 1000 / mb
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--connections", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=256 * 1024)
    args = ap.parse_args(argv)
    sink_port, listen_port = free_port(), free_port()
    received, ready = multiprocessing.Value("q", 0), multiprocessing.Event()
    sink = multiprocessing.Process(target=_sink, args=(sink_port, ready, received), daemon=True)
    sink.start()
    ready.wait(10)
    listeners, clusters = envoy_config(listen_port, sink_port)
    try:
        with tempfile.TemporaryDirectory() as tmp, Envoy(listeners, clusters, pathlib.Path(tmp)) as envoy:
            targets = {"direct": (sink_port, None), "envoy": (listen_port, envoy.proc.pid)}
            rows = interleaved_rounds(list(targets), args.rounds, lambda v: measure(
                targets[v][0], received, args.seconds, args.connections, args.chunk, targets[v][1]))
            tcp_stats = {k: v for k, v in envoy.stats("tcp.").items() if k.endswith("downstream_cx_total")}
    finally:
        sink.terminate()
    direct = statistics.median(x["mb_per_s"] for x in rows["direct"])
    via = statistics.median(x["mb_per_s"] for x in rows["envoy"])
    ratios = per_round_ratios(rows, "envoy", "direct", "mb_per_s")
    cpu = statistics.median(x["cpu_ms_per_mb"] for x in rows["envoy"])
    print(json.dumps({"rounds": args.rounds, "seconds": args.seconds, "connections": args.connections,
                      "chunk": args.chunk, "direct_mb_per_s": round(direct, 1), "envoy_mb_per_s": round(via, 1),
                      "ratio_per_round": [round(x, 3) for x in ratios], "envoy_cpu_ms_per_mb": round(cpu, 3),
                      "envoy_tcp_stats": tcp_stats}, indent=1))
    print(f"l4: envoy/direct throughput={statistics.median(ratios):.3f} envoy_cpu_ms_per_mb={cpu:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
