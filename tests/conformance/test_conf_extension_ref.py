"""ExtensionRef filters of a kind kgw does not support: the rule answers 500 (never skipped), the route
reports ResolvedRefs=False InvalidKind and PartiallyInvalid; the route's other rules keep working."""
import pytest
from conf_cases import Case, check

pytestmark = pytest.mark.e2e


def test_unsupported_extension_ref_answers_500(gw):
    check(gw, Case("ExtensionRef rule", "ext.example.com", "/ext", status=500, backend=None))
    check(gw, Case("sibling rule still served", "ext.example.com", "/ok"))
    status = gw.status_of("HTTPRoute", "gateway-conformance-infra", "extension-ref")
    conds = {c["type"]: (c["status"], c["reason"]) for c in status["parents"][0]["conditions"]}
    assert conds == {"Accepted": ("True", "Accepted"), "ResolvedRefs": ("False", "InvalidKind"),
                     "PartiallyInvalid": ("True", "UnsupportedValue")}
