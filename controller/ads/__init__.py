"""ADS server: a snapshot cache per Envoy node, served over SotW and Delta xDS with ACK/NACK tracking."""
from .cache import Nack, NodeState, Observer, Snapshot, SnapshotCache, make_snapshot
from .server import AdsServicer, XdsServer
from .types import PUSH_ORDER, short

__all__ = ["AdsServicer", "Nack", "NodeState", "Observer", "PUSH_ORDER", "Snapshot", "SnapshotCache",
           "XdsServer", "make_snapshot", "short"]
