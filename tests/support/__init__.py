"""Test infrastructure shared by several tiers: the real kube-apiserver, kgw processes, Helm, modes."""
