"""`identity:` in case files gives a request a verified identity (the headers the gateway's authentication
filters set); giving those headers directly is an error, since the gateway removes them from clients."""
from __future__ import annotations

import pytest

from kgw_rules.cases import CaseFileError, load_cases


def test_identity_headers_cannot_be_given_as_plain_headers(tmp_path):
    path = tmp_path / "x.test.yaml"
    path.write_text("cases:\n  - name: forged\n    request: {headers: {x-kgw-jwt-payload: e30}}\n    expect: {}\n")
    with pytest.raises(CaseFileError) as err:
        load_cases(str(path))
    assert "x.test.yaml:3:" in str(err.value) and "give it with `identity:`" in str(err.value)


def test_identity_jwt_claims_are_json_data(tmp_path):
    path = tmp_path / "x.test.yaml"
    path.write_text("cases:\n  - name: n\n    request: {identity: {jwt: {level: 3, ok: true}, basic_auth_user: 7}}\n"
                    "    expect: {}\n")
    [case] = load_cases(str(path))
    headers = dict(case.request.build().headers)
    assert headers[b"x-kgw-jwt-payload"] == b"eyJsZXZlbCI6Mywib2siOnRydWV9"  # {"level":3,"ok":true}
    assert headers[b"x-envoy-basic-auth-user"] == b"7"  # outside `jwt`, scalars stay strings
