"""kgw controller: manifests -> Resources -> IR -> xDS -> Envoy."""
