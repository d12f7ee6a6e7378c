"""Running Envoy: bootstrap generation and child-process management, one Envoy per Gateway."""
from .bootstrap import BootstrapOptions, bootstrap, node_id, overload_manager
from .process import EnvoyManager, EnvoyProcess, find_envoy

__all__ = ["BootstrapOptions", "EnvoyManager", "EnvoyProcess", "bootstrap", "find_envoy", "node_id",
           "overload_manager"]
