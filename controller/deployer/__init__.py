"""The proxy deployer: one Envoy Deployment (+ Service, ServiceAccount, bootstrap ConfigMap, xDS client
certificate Secret, PodDisruptionBudget) per Gateway of our class, shaped by GatewayParameters."""
