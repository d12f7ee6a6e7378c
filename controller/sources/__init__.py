"""Sources turn the outside world (files, later the Kubernetes API) into a `Resources` snapshot."""
