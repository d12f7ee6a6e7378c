"""metav1.Condition helpers and the Gateway API condition types/reasons kgw uses."""
from __future__ import annotations

# Condition types
ACCEPTED, PROGRAMMED, RESOLVED_REFS, CONFLICTED = "Accepted", "Programmed", "ResolvedRefs", "Conflicted"
SUPPORTED_VERSION, PARTIALLY_INVALID = "SupportedVersion", "PartiallyInvalid"

# Reasons (names as in the Gateway API spec)
R_ACCEPTED, R_PROGRAMMED, R_RESOLVED_REFS = "Accepted", "Programmed", "ResolvedRefs"
R_SUPPORTED_VERSION = "SupportedVersion"
R_INVALID = "Invalid"
R_LISTENERS_NOT_VALID, R_INVALID_PARAMETERS = "ListenersNotValid", "InvalidParameters"
R_UNSUPPORTED_ADDRESS, R_ADDRESS_NOT_ASSIGNED, R_ADDRESS_NOT_USABLE = (
    "UnsupportedAddress", "AddressNotAssigned", "AddressNotUsable")
R_PORT_UNAVAILABLE, R_UNSUPPORTED_PROTOCOL = "PortUnavailable", "UnsupportedProtocol"
R_NO_CONFLICTS, R_HOSTNAME_CONFLICT, R_PROTOCOL_CONFLICT = "NoConflicts", "HostnameConflict", "ProtocolConflict"
R_INVALID_ROUTE_KINDS = "InvalidRouteKinds"
R_NOT_ALLOWED_BY_LISTENERS = "NotAllowedByListeners"
R_NO_MATCHING_LISTENER_HOSTNAME = "NoMatchingListenerHostname"
R_NO_MATCHING_PARENT = "NoMatchingParent"
R_UNSUPPORTED_VALUE = "UnsupportedValue"
R_BACKEND_NOT_FOUND, R_INVALID_KIND, R_REF_NOT_PERMITTED = "BackendNotFound", "InvalidKind", "RefNotPermitted"
R_INCOMPATIBLE_FILTERS = "IncompatibleFilters"


class Conditions:
    """Builds condition dicts that share observedGeneration and lastTransitionTime."""

    def __init__(self, generation: int, now: str) -> None:
        self.generation, self.now = generation, now

    def __call__(self, ctype: str, ok: bool, reason: str, message: str) -> dict:
        return {
            "type": ctype,
            "status": "True" if ok else "False",
            "reason": reason,
            "message": message,
            "observedGeneration": self.generation,
            "lastTransitionTime": self.now,
        }
