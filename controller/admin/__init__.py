"""Admin endpoints of `kgw up` (/readyz, /status, /metrics) and the Prometheus metrics behind them."""
from .metrics import Metrics, gateway_of
from .server import AdminServer, json_response

__all__ = ["AdminServer", "Metrics", "gateway_of", "json_response"]
