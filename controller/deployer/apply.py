"""Apply rendered proxy objects with server-side apply, and delete what no Gateway of ours needs any more
(a Gateway deleted, or moved to another class: owner-reference garbage collection alone misses the latter)."""
from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable

from ..envoy import node_id
from ..kube.api import Api, ApiError, Kind
from ..resources import Resources
from ..translate.gateways import parameters_problem
from ..translate.listenersets import allowed_listener_ports
from ..xds_auth import CertAuthority, cert_valid_for, node_identity
from .render import GATEWAY_LABEL, DeployOptions, merge_params, render

log = logging.getLogger("kgw.deployer")
PARAMS_GROUP, PARAMS_KIND = "gateway.kgateway.dev", "GatewayParameters"


def managed_kinds(pdb_api_version: str) -> list[Kind]:
    group, version = pdb_api_version.split("/")
    return [Kind("", "v1", "serviceaccounts", "ServiceAccount"), Kind("", "v1", "secrets", "Secret"),
            Kind("", "v1", "configmaps", "ConfigMap"), Kind("", "v1", "services", "Service"),
            Kind("apps", "v1", "deployments", "Deployment"),
            Kind(group, version, "poddisruptionbudgets", "PodDisruptionBudget")]


class Deployer:
    def __init__(self, api: Api, objects: Callable[[str], dict], ca: CertAuthority, opts: DeployOptions,
                 controller_name: str):
        self.api, self.objects, self.ca, self.opts = api, objects, ca, opts
        self.controller_name = controller_name
        self.kinds = {k.kind: k for k in managed_kinds(opts.pdb_api_version)}
        self.applied: dict[tuple[str, str], str] = {}  # gateway -> hash of what was last applied
        self._last_desired: set | None = None
        self.applies = self.deletes = 0
        self.issued: dict[tuple[str, str], dict] = {}

    def forget(self) -> None:
        """Lost leadership: whoever leads next re-applies (apply is idempotent)."""
        self.applied.clear()
        self._last_desired = None

    @staticmethod
    def _params(resources: Resources, ref: dict | None, namespace: str) -> dict | None:
        """The referenced GatewayParameters spec as validated by its model (an invalid one counts as absent:
        its own status says why), in camelCase as the render step reads it."""
        if not ref or ref.get("group") != PARAMS_GROUP or ref.get("kind") != PARAMS_KIND:
            return None
        params = resources.gateway_parameters.get((ref.get("namespace") or namespace, ref["name"]))
        if params is None:
            return None
        return params.spec.model_dump(by_alias=True, exclude_none=True, exclude_unset=True)

    def desired(self, resources: Resources) -> tuple[dict[tuple[str, str], tuple[dict, dict]], set[tuple[str, str]]]:
        """(Gateways of our class that we deploy for -> (raw Gateway, merged parameters), Gateways whose
        parametersRef cannot be used). The latter are rejected (InvalidParameters): nothing is deployed for
        them, and what was deployed before stays as it was — a broken GatewayParameters edit never takes a
        running proxy down."""
        classes = {name: gc for (_, name), gc in resources.gateway_classes.items()
                   if gc.spec.controller_name == self.controller_name}
        raw_classes = self.objects("GatewayClass")
        out, held = {}, set()
        for key, gw in self.objects("Gateway").items():
            cls = gw.get("spec", {}).get("gatewayClassName")
            if cls not in classes or not gw.get("metadata", {}).get("uid"):
                continue
            model = resources.gateways.get(key)
            if model is None or parameters_problem(model, resources):
                held.add(key)
                continue
            class_ref = raw_classes.get(("", cls), {}).get("spec", {}).get("parametersRef")
            gw_ref = ((gw.get("spec", {}).get("infrastructure") or {}).get("parametersRef") or None)
            if gw_ref:
                gw_ref = {**gw_ref, "namespace": key[0]}
            params = merge_params(self._params(resources, class_ref, key[0]), self._params(resources, gw_ref, key[0]))
            if params.get("selfManaged") is not None:
                continue  # the user runs the proxy
            out[key] = (gw, params)
        return out, held

    def _client_tls(self, ns: str, name: str) -> dict:
        """Keep the Gateway's client certificate while it is valid for our CA; issue a new one otherwise."""
        existing = (self.objects("Secret").get((ns, f"{name}-xds-tls")) or {}).get("data") \
            or self.issued.get((ns, name)) or {}
        try:
            cert = base64.b64decode(existing.get("tls.crt", ""))
            if existing.get("ca.crt") and base64.b64decode(existing["ca.crt"]) == self.ca.cert_pem \
                    and cert_valid_for(cert, self.ca.cert_pem):
                return {k: existing[k] for k in ("ca.crt", "tls.crt", "tls.key")}
        except (ValueError, KeyError):
            pass
        cert, key = self.ca.issue(node_identity(node_id(ns, name)))
        b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
        # Remembered until the watch shows the Secret, so a quick second sync does not issue another one.
        self.issued[(ns, name)] = data = {"ca.crt": b64(self.ca.cert_pem), "tls.crt": b64(cert), "tls.key": b64(key)}
        return data

    def sync(self, resources: Resources) -> None:
        """Blocking: apply changed Gateways' objects, delete orphans. Raises ApiError when the server is away."""
        desired, held = self.desired(resources)
        for (ns, name), (gw, params) in sorted(desired.items()):
            try:
                objs = render(gw, params, self._client_tls(ns, name), self.opts,
                              allowed_listener_ports(resources.gateways[(ns, name)], resources))
            except Exception:  # a bug for one Gateway must not keep the others from being deployed
                log.exception("gateway %s/%s: proxy objects not rendered", ns, name)
                continue
            digest = hashlib.sha256(json.dumps(objs, sort_keys=True).encode()).hexdigest()
            if self.applied.get((ns, name)) == digest:
                continue
            try:
                for obj in objs:
                    self.api.apply(self.kinds[obj["kind"]], obj)
                    self.applies += 1
            except ApiError as e:
                if e.status == 0:
                    raise  # the server is away: the whole round is retried
                # refused (e.g. invalid): the others are still deployed, and their statuses written
                log.error("gateway %s/%s: proxy objects refused: %s", ns, name, e)
                continue
            self.applied[(ns, name)] = digest
            log.info("gateway %s/%s: proxy objects applied", ns, name)
        keys = set(desired) | held
        if keys != self._last_desired:
            self._cleanup(keys)
            self._last_desired = keys
        for gone in set(self.applied) - keys:
            self.applied.pop(gone)

    def _cleanup(self, keep: set[tuple[str, str]]) -> None:
        for kind in self.kinds.values():
            doc = self.api.get(kind.path(), labelSelector=f"app.kubernetes.io/managed-by=kgw,{GATEWAY_LABEL}")
            for item in doc.get("items", []):
                meta = item["metadata"]
                if (meta["namespace"], meta["labels"][GATEWAY_LABEL]) in keep:
                    continue
                try:
                    if self.api.delete(kind, meta["namespace"], meta["name"]):
                        self.deletes += 1
                        log.info("deleted %s %s/%s (its Gateway is gone or not ours)", kind.kind,
                                 meta["namespace"], meta["name"])
                except ApiError as e:
                    log.warning("delete %s %s/%s: %s", kind.kind, meta["namespace"], meta["name"], e)


def gateway_address(service: dict | None) -> dict | None:
    """The address to report for a Gateway: its Service's load balancer ingress, else its cluster IP."""
    if not service:
        return None
    for ing in (service.get("status", {}).get("loadBalancer") or {}).get("ingress") or []:
        if ing.get("ip"):
            return {"type": "IPAddress", "value": ing["ip"]}
        if ing.get("hostname"):
            return {"type": "Hostname", "value": ing["hostname"]}
    ip = service.get("spec", {}).get("clusterIP")
    if ip and ip != "None":
        return {"type": "IPAddress", "value": ip}
    return None
