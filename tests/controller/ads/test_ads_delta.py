"""The Delta ADS servicer driven over a real grpc.aio channel on 127.0.0.1."""
import asyncio

from xds_helpers import NODE, Client, delta_req, resources, serving, sotw_req

from kgw_controller.ads import types as T


def run(coro):
    asyncio.run(asyncio.wait_for(coro, 20))


async def _ack(c, resp):
    await c.send(delta_req(resp.type_url, nonce=resp.nonce))
    await asyncio.sleep(0.05)


def test_wildcard_then_only_changed_resources_and_removals():
    async def main():
        async with serving() as (cache, server, rec):
            snap = cache.set_snapshot(NODE, resources(clusters=("a", "b")))
            c = Client(server.port, delta=True)
            await c.send(delta_req(T.CLUSTER))  # empty first subscription = wildcard
            resp = await c.recv()
            assert sorted(r.name for r in resp.resources) == ["a", "b"]
            assert resp.system_version_info == snap.versions[T.CLUSTER]
            await _ack(c, resp)
            assert cache.nodes[NODE].acked[T.CLUSTER] == snap.versions[T.CLUSTER]
            # b changes, c appears, a stays: only b and c travel.
            new = resources(clusters=("a", "b", "c"))
            new[T.CLUSTER]["b"].connect_timeout.seconds = 3
            cache.set_snapshot(NODE, new)
            resp = await c.recv()
            assert sorted(r.name for r in resp.resources) == ["b", "c"] and not resp.removed_resources
            await _ack(c, resp)
            cache.set_snapshot(NODE, resources(clusters=("a",)))
            resp = await c.recv()
            assert list(resp.resources) == [] and sorted(resp.removed_resources) == ["b", "c"]
            await c.close()
    run(main())


def test_named_subscription_unknown_name_is_reported_removed():
    async def main():
        async with serving() as (cache, server, rec):
            cache.set_snapshot(NODE, resources(routes=("r1", "r2"), ecds=("rules",)))
            c = Client(server.port, delta=True)
            await c.send(delta_req(T.ROUTE, subscribe=("r1", "nope")))
            resp = await c.recv()
            assert [r.name for r in resp.resources] == ["r1"] and list(resp.removed_resources) == ["nope"]
            await _ack(c, resp)
            await c.send(delta_req(T.ROUTE, subscribe=("r2",), nonce=resp.nonce))
            resp = await c.recv()
            assert [r.name for r in resp.resources] == ["r2"] and not resp.removed_resources
            await c.send(delta_req(T.EXTENSION_CONFIG, subscribe=("rules",)))
            resp = await c.recv()
            assert resp.type_url == T.EXTENSION_CONFIG and [r.name for r in resp.resources] == ["rules"]
            await c.close()
    run(main())


def test_nack_keeps_version_unsent_and_reverting_resyncs():
    async def main():
        async with serving() as (cache, server, rec):
            good = cache.set_snapshot(NODE, resources(listeners=("l",)))
            c = Client(server.port, delta=True)
            await c.send(delta_req(T.LISTENER))
            await _ack(c, await c.recv())
            bad = cache.set_snapshot(NODE, resources(listeners=("l", "bad")))
            resp = await c.recv()
            await c.send(delta_req(T.LISTENER, nonce=resp.nonce, error="no such filter"))
            await asyncio.sleep(0.05)
            assert rec.of("nack") == [("nack", "LDS", bad.versions[T.LISTENER], "no such filter")]
            cache.set_snapshot(NODE, resources(listeners=("l", "bad")))
            await c.nothing()  # never re-send a NACKed version
            # Back to the good inputs: Envoy still holds them, so nothing travels and the NACK clears.
            cache.set_snapshot(NODE, resources(listeners=("l",)))
            await c.nothing()
            assert cache.nodes[NODE].acked[T.LISTENER] == good.versions[T.LISTENER]
            assert T.LISTENER not in cache.nodes[NODE].last_nack
            await c.close()
    run(main())


def test_stale_nonce_ignored_but_subscription_kept():
    async def main():
        async with serving() as (cache, server, rec):
            cache.set_snapshot(NODE, resources(routes=("r1", "r2")))
            c = Client(server.port, delta=True)
            await c.send(delta_req(T.ROUTE, subscribe=("r1",)))
            first = await c.recv()
            cache.set_snapshot(NODE, resources(routes=("r1", "r2", "r3")))
            await c.nothing(0.1)  # r3 is not subscribed: no push
            await c.send(delta_req(T.ROUTE, subscribe=("r2",), nonce="999", error="stale"))
            resp = await c.recv()
            assert [r.name for r in resp.resources] == ["r2"]
            assert rec.of("nack") == []
            await c.send(delta_req(T.ROUTE, nonce=first.nonce))  # superseded by resp: ignored
            await asyncio.sleep(0.05)
            assert rec.of("ack") == []
            await _ack(c, resp)
            assert cache.is_current(NODE) is False  # CDS/LDS never subscribed on this stream
            assert cache.nodes[NODE].acked[T.ROUTE] == cache.get_snapshot(NODE).versions[T.ROUTE]
            await c.close()
    run(main())


def test_reconnect_with_initial_versions_gets_no_repush():
    async def main():
        async with serving() as (cache, server, rec):
            cache.set_snapshot(NODE, resources(clusters=("a", "b")))
            c = Client(server.port, delta=True)
            await c.send(delta_req(T.CLUSTER))
            resp = await c.recv()
            held = {r.name: r.version for r in resp.resources}
            await _ack(c, resp)
            await c.close()
            pushes = len(rec.of("push"))
            c2 = Client(server.port, delta=True)
            await c2.send(delta_req(T.CLUSTER, initial=held))
            await c2.nothing()
            assert len(rec.of("push")) == pushes
            # A reconnect that holds one stale resource gets exactly that one.
            c3 = Client(server.port, delta=True)
            await c3.send(delta_req(T.CLUSTER, initial={"a": held["a"], "b": "old", "gone": "x"}))
            resp = await c3.recv()
            assert [r.name for r in resp.resources] == ["b"] and list(resp.removed_resources) == ["gone"]
            await c2.close()
            await c3.close()
    run(main())


def test_requests_over_4mb_are_accepted():
    async def main():
        async with serving() as (cache, server, rec):
            cache.set_snapshot(NODE, resources(clusters=("a",)))
            c = Client(server.port, delta=True)
            initial = {f"cluster-{i:06d}-{'x' * 40}": "v" * 16 for i in range(80_000)}  # about 6 MB
            await c.send(delta_req(T.CLUSTER, initial=initial))
            resp = await c.recv(timeout=10)
            assert [r.name for r in resp.resources] == ["a"] and len(resp.removed_resources) == 80_000
            await c.close()
    run(main())


def test_sotw_and_delta_streams_of_two_nodes_are_independent():
    async def main():
        async with serving() as (cache, server, rec):
            cache.set_snapshot(NODE, resources(clusters=("a",)))
            cache.set_snapshot("kgw~default~other", resources(clusters=("z",)))
            d = Client(server.port, delta=True)
            await d.send(delta_req(T.CLUSTER))
            assert [r.name for r in (await d.recv()).resources] == ["a"]
            s = Client(server.port, delta=False)
            req = sotw_req(T.CLUSTER)
            req.node.id = "kgw~default~other"
            s.first = False
            await s.send(req)
            assert (await s.recv()).version_info == cache.get_snapshot("kgw~default~other").versions[T.CLUSTER]
            cache.set_snapshot("kgw~default~other", resources(clusters=("y",)))
            await s.recv()
            await d.nothing(0.1)
            await d.close()
            await s.close()
    run(main())


def test_fresh_envoy_gets_an_answer_even_for_an_empty_type():
    async def main():
        async with serving() as (cache, server, rec):
            snap = cache.set_snapshot(NODE, resources(clusters=()))
            c = Client(server.port, delta=True)
            await c.send(delta_req(T.CLUSTER))  # Envoy would wait 15 s for this first answer
            resp = await c.recv()
            assert list(resp.resources) == [] and resp.system_version_info == snap.versions[T.CLUSTER]
            await c.close()
            c2 = Client(server.port, delta=True)  # a reconnect holding something is not answered again
            await c2.send(delta_req(T.CLUSTER, initial={"x": "v"}))
            resp = await c2.recv()
            assert list(resp.removed_resources) == ["x"]
            await c2.close()
    run(main())


def test_an_updated_cluster_gets_its_unchanged_endpoints_again():
    # Envoy replaces an updated EDS cluster and warms the new one until its endpoints arrive (15 s otherwise)
    async def main():
        async with serving() as (cache, server, rec):
            cache.set_snapshot(NODE, resources(clusters=("a", "b")))
            c = Client(server.port, delta=True)
            await c.send(delta_req(T.CLUSTER))
            await _ack(c, await c.recv())
            await c.send(delta_req(T.ENDPOINT, subscribe=("a", "b")))
            await _ack(c, await c.recv())
            new = resources(clusters=("a", "b"))
            new[T.CLUSTER]["b"].connect_timeout.seconds = 3  # b changes; every endpoint set stays the same
            cache.set_snapshot(NODE, new)
            cds = await c.recv()
            assert cds.type_url == T.CLUSTER and [r.name for r in cds.resources] == ["b"]
            eds = await c.recv()
            assert eds.type_url == T.ENDPOINT and [r.name for r in eds.resources] == ["b"]
            await c.close()
    run(main())
