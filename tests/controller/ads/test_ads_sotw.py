"""The SotW ADS servicer driven over a real grpc.aio channel on 127.0.0.1."""
import asyncio

from xds_helpers import NODE, Client, resources, serving, sotw_req, unpack_names

from kgw_controller.ads import types as T


def run(coro):
    asyncio.run(asyncio.wait_for(coro, 20))


async def _subscribe_all(client, cache):
    """Subscribe like Envoy does and ACK the initial push; returns the last nonce per type."""
    nonces = {}
    for t, names in ((T.CLUSTER, ()), (T.ENDPOINT, ("a",)), (T.LISTENER, ()), (T.ROUTE, ("r",))):
        await client.send(sotw_req(t, names=names))
        resp = await client.recv()
        assert resp.type_url == t
        await client.send(sotw_req(t, version=resp.version_info, nonce=resp.nonce, names=names))
        nonces[t] = resp.nonce
    await asyncio.sleep(0.05)
    return nonces


def test_initial_push_ack_and_is_current():
    async def main():
        async with serving() as (cache, server, rec):
            snap = cache.set_snapshot(NODE, resources())
            c = Client(server.port, delta=False)
            await c.send(sotw_req(T.CLUSTER))
            resp = await c.recv()
            assert resp.version_info == snap.versions[T.CLUSTER]
            assert unpack_names(resp) == ["a"]
            assert not cache.is_current(NODE)  # only CDS pushed so far
            await c.send(sotw_req(T.CLUSTER, version=resp.version_info, nonce=resp.nonce))
            await asyncio.sleep(0.05)
            assert ("ack", "CDS", snap.versions[T.CLUSTER]) in rec.events
            nonces = await _subscribe_all(Client(server.port, delta=False), cache)
            assert set(nonces) == {T.CLUSTER, T.ENDPOINT, T.LISTENER, T.ROUTE}
            assert cache.is_current(NODE)
            await c.close()
    run(main())


def test_change_pushes_only_changed_types_in_make_before_break_order():
    async def main():
        async with serving() as (cache, server, rec):
            cache.set_snapshot(NODE, resources())
            c = Client(server.port, delta=False)
            await _subscribe_all(c, cache)
            cache.set_snapshot(NODE, resources(clusters=("a", "b"), routes=("r",), listeners=("l", "m")))
            got = [await c.recv() for _ in range(3)]
            assert [r.type_url for r in got] == [T.CLUSTER, T.ENDPOINT, T.LISTENER]
            assert unpack_names(got[0]) == ["a", "b"]
            assert unpack_names(got[1]) == ["a"]  # EDS answers only the names Envoy asked for
            await c.nothing()  # RDS did not change
            await c.close()
    run(main())


def test_nack_is_recorded_and_that_version_never_resent():
    async def main():
        async with serving() as (cache, server, rec):
            cache.set_snapshot(NODE, resources())
            c = Client(server.port, delta=False)
            await _subscribe_all(c, cache)
            good = cache.get_snapshot(NODE).versions[T.LISTENER]
            bad = cache.set_snapshot(NODE, resources(listeners=("l", "bad")))
            resp = await c.recv()
            assert resp.type_url == T.LISTENER
            await c.send(sotw_req(T.LISTENER, version=good, nonce=resp.nonce, error="bad listener"))
            await asyncio.sleep(0.05)
            assert rec.of("nack") == [("nack", "LDS", bad.versions[T.LISTENER], "bad listener")]
            assert cache.nodes[NODE].last_nack[T.LISTENER].message == "bad listener"
            assert not cache.is_current(NODE)
            cache.set_snapshot(NODE, resources(listeners=("l", "bad")))  # same content again
            await c.nothing()
            fixed = cache.set_snapshot(NODE, resources(listeners=("l", "fixed")))
            resp = await c.recv()
            assert resp.version_info == fixed.versions[T.LISTENER]
            await c.send(sotw_req(T.LISTENER, version=resp.version_info, nonce=resp.nonce))
            await asyncio.sleep(0.05)
            assert T.LISTENER not in cache.nodes[NODE].last_nack
            assert cache.is_current(NODE)
            await c.close()
    run(main())


def test_stale_nonce_is_ignored():
    async def main():
        async with serving() as (cache, server, rec):
            cache.set_snapshot(NODE, resources())
            c = Client(server.port, delta=False)
            await _subscribe_all(c, cache)
            cache.set_snapshot(NODE, resources(clusters=("a", "b")))
            first = await c.recv()
            await c.recv()  # EDS of the same change
            second_snap = cache.set_snapshot(NODE, resources(clusters=("a", "c")))
            second = await c.recv()
            await c.recv()
            # A NACK for the superseded response must not mark anything.
            await c.send(sotw_req(T.CLUSTER, nonce=first.nonce, error="old"))
            await asyncio.sleep(0.05)
            assert rec.of("nack") == []
            await c.send(sotw_req(T.CLUSTER, version=second.version_info, nonce=second.nonce))
            await asyncio.sleep(0.05)
            assert cache.nodes[NODE].acked[T.CLUSTER] == second_snap.versions[T.CLUSTER]
            await c.close()
    run(main())


def test_reconnect_with_current_versions_gets_no_repush():
    async def main():
        async with serving() as (cache, server, rec):
            snap = cache.set_snapshot(NODE, resources())
            c = Client(server.port, delta=False)
            await _subscribe_all(c, cache)
            await c.close()
            pushes = len(rec.of("push"))
            c2 = Client(server.port, delta=False)
            for t, names in ((T.CLUSTER, ()), (T.ENDPOINT, ("a",)), (T.LISTENER, ()), (T.ROUTE, ("r",))):
                await c2.send(sotw_req(t, version=snap.versions[t], names=names))
            await c2.nothing()
            assert len(rec.of("push")) == pushes
            assert {e[1] for e in rec.of("synced")} == {"CDS", "EDS", "LDS", "RDS"}
            await c2.close()
    run(main())


def test_restarted_server_with_fresh_cache_resyncs_without_push():
    async def main():
        async with serving() as (cache, server, rec):
            snap = cache.set_snapshot(NODE, resources())
            c = Client(server.port, delta=False)
            await _subscribe_all(c, cache)
            port = server.port
            await server.stop(0)
            cache.nodes.clear()
            cache.set_snapshot(NODE, resources())  # same inputs after a controller restart
            await server.start()
            assert server.port == port
            c2 = Client(server.port, delta=False)
            await c2.send(sotw_req(T.CLUSTER, version=snap.versions[T.CLUSTER]))
            await c2.send(sotw_req(T.LISTENER, version=snap.versions[T.LISTENER]))
            await c2.nothing()
            await c.close()
            await c2.close()
    run(main())


def test_an_updated_cluster_gets_its_unchanged_endpoints_again():
    # Envoy replaces an updated EDS cluster and warms the new one until its endpoints arrive (15 s otherwise)
    async def main():
        async with serving() as (cache, server, rec):
            cache.set_snapshot(NODE, resources())
            c = Client(server.port, delta=False)
            await _subscribe_all(c, cache)
            new = resources()
            new[T.CLUSTER]["a"].connect_timeout.seconds = 3  # the endpoints stay the same
            snap = cache.set_snapshot(NODE, new)
            cds = await c.recv()
            assert cds.type_url == T.CLUSTER
            eds = await c.recv()
            assert eds.type_url == T.ENDPOINT and unpack_names(eds) == ["a"]
            assert eds.version_info == snap.versions[T.ENDPOINT]
            await c.close()
    run(main())
