# Shared by scripts/realk8s-build and scripts/realk8s (sourced, not run).
CACHE="${KGW_REALK8S_CACHE:-$HOME/.cache/kgw/realk8s}"
RUN="$CACHE/run"                 # all state of a running cluster; removed by `realk8s stop`
NETNS=kgwk8s                     # the private network namespace (no route out)
NODE_IP=10.244.0.1               # the bridge cni0: node address, DNS server, pods' gateway
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/24
NODE_NAME=kgw-node
CGROUP=kgwk8s                    # kubelet's cgroupRoot, in every v1 hierarchy
ENVOY_VERSION=1.40.0
# The controller's default proxy image (controller/deployer/render.py DEFAULT_IMAGE), provided locally.
ENVOY_IMAGE="docker.io/envoyproxy/envoy:v$ENVOY_VERSION"
PYTHON_BASE="docker.io/library/python:3.11-slim"

# buildah with its storage in the cache; vfs needs nothing from the kernel but plain directories.
bah() { buildah --root "$CACHE/buildah/root" --runroot "$CACHE/buildah/runroot" --storage-driver vfs "$@"; }
