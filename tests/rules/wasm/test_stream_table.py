"""Many streams alive at once, ended in random order: each finds its own state (the filter's context-id
table deletes without tombstones and ended streams are pooled, so a lookup after deletions or a reused
record must never see another stream's variables)."""
from __future__ import annotations

import random

import pytest

import kgw_rules
from kgw_rules.harness import FilterVM, test_bundle
from kgw_rules.harness.engine import TEST_ROUTE_NAME
from kgw_rules.harness.host import MAP_REQUEST, MAP_RESPONSE

ECHO = kgw_rules.compile('on request { let id = default(header("x-id"), "none") }\n'
                         'on response { set header "x-id" = id }', "echo.kgw").to_bytes(strip=True)


@pytest.mark.parametrize("seed", range(4))
def test_interleaved_streams_keep_their_own_state(seed):
    rnd = random.Random(seed)
    vm = FilterVM(test_bundle([ECHO], b"ns/r/0"))
    st, call = vm.host.state, vm.host.call
    st.properties = {(b"xds", b"route_name"): TEST_ROUTE_NAME}
    live: list[int] = []
    next_id, answered = 2, 0
    peak = 200
    memory_at_peak = None
    for step in range(3000):
        # first `peak` opens, then random churn that never holds more than `peak` streams
        if step >= peak and live and (len(live) == peak or rnd.random() < 0.5):
            ctx = live.pop(rnd.randrange(len(live)))
            st.maps[MAP_RESPONSE] = [(b":status", b"200")]
            call("proxy_on_response_headers", ctx, 1, 1)
            assert dict(st.maps[MAP_RESPONSE])[b"x-id"] == str(ctx).encode()
            call("proxy_on_delete", ctx)
            answered += 1
        else:
            ctx, next_id = next_id, next_id + 1
            call("proxy_on_context_create", ctx, vm.root_id)
            st.maps[MAP_REQUEST] = [(b":path", b"/"), (b"x-id", str(ctx).encode())]
            call("proxy_on_request_headers", ctx, 2, 1)
            live.append(ctx)
        if step == peak:
            memory_at_peak = vm.host.memory_size()
    assert answered > 1000
    # pooled records and the table's slots are reused: churn below the peak does not grow the memory
    assert vm.host.memory_size() == memory_at_peak
