"""The watch list is the translator's input list; the programs ConfigMap codec round-trips."""
import dataclasses
import pathlib

from kgw_controller.kube import kinds
from kgw_controller.kube.programs import ConfigMapPrograms, decode, encode
from kgw_controller.models import KINDS
from kgw_controller.resources import _FIELDS, Resources
from kgw_controller.sources.files import parse_files
from kgw_controller.translate import translate

GOLDEN_INPUTS = sorted((pathlib.Path(__file__).parents[1]).glob("*/testdata/*.in.yaml"))


def test_every_input_of_the_translator_is_watched():
    mapping_fields = {f.name for f in dataclasses.fields(Resources)} - {"invalid", "origins"}
    assert set(_FIELDS.values()) == mapping_fields  # every Resources field is filled from one kind
    assert {k.kind for k in kinds.WATCHED} == set(_FIELDS) == {m.KIND for m in KINDS}
    assert "GRPCRoute" in kinds.BY_KIND and kinds.GRPC_ROUTE.plural == "grpcroutes"


def test_statuses_the_translator_writes_are_the_status_kinds():
    assert len(GOLDEN_INPUTS) > 50
    written = set()
    for path in GOLDEN_INPUTS:
        resources, _ = parse_files({path.name: path.read_text()})
        written.update(s["kind"] for s in translate(resources).statuses)
    declared = {k.kind for k in kinds.STATUS_WRITTEN}
    assert written <= declared, written - declared
    # every declared kind is exercised by some golden, so the declaration cannot rot silently
    assert declared <= written, declared - written


def test_programs_configmap_roundtrip_and_damage():
    programs = {"RoutePolicy/a/p": b"\x00KGW1", "TrafficPolicy/b/q": b"\x01\x02", "RoutePolicy/c/same": b"\x01\x02"}
    data, binary = encode(programs)
    assert len(binary) == 2  # identical programs are stored once
    assert decode({"data": data, "binaryData": binary}) == programs
    assert decode({}) == {}
    assert decode({"data": {"index.json": "not json"}}) == {}
    partial = dict(binary)
    partial.pop(next(iter(partial)))
    assert len(decode({"data": data, "binaryData": partial})) < len(programs)


class _FakeApi:
    """Records calls; answers GET from what was applied.
    (Unit level; the real server is used in tests/controller/kube.)"""

    def __init__(self):
        self.doc, self.gets, self.applies = None, 0, 0

    def get(self, path):
        from kgw_controller.kube.api import ApiError
        self.gets += 1
        if self.doc is None:
            raise ApiError(404, "Not Found")
        return self.doc

    def apply(self, kind, obj):
        self.applies += 1
        self.doc = obj


def test_last_good_reads_the_store_only_for_programs_it_does_not_hold():
    api = _FakeApi()
    keeper = ConfigMapPrograms(api, "ns")
    keeper.remember({"RoutePolicy/a/p": b"one"})
    assert keeper.flush() and api.applies == 1
    assert not keeper.flush() and api.applies == 1  # unchanged: no write
    assert keeper.last_good().get("RoutePolicy/a/p") == b"one" and api.gets == 1  # the flush's first read
    fresh = ConfigMapPrograms(api, "ns")  # a restarted replica
    view = fresh.last_good()
    assert view.get("RoutePolicy/a/p") == b"one" and view.get("RoutePolicy/x/y") is None
    assert api.gets == 2  # one read per translation, however many lookups
    keeper.remember({})
    assert keeper.flush() and decode(api.doc) == {}  # a deleted policy's program is dropped
