"""Running against a Kubernetes API server: REST access, list+watch source, status writer, leader election."""
