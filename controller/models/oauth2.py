"""kgateway's OAuth2 provider (a GatewayExtension's `oauth2`) and TrafficPolicy `oauth2` (newest kgateway API:
`oauth2.go` in kgateway-dev/kgateway `api/v1alpha1/kgateway`). Envoy's oauth2 filter runs the OIDC
authorization-code flow; docs/security.md says what kgw does with each field.

Left out (unsupported.py says why): `jwt` (verifying the tokens the flow obtained). Endpoints left to
`issuerURI` are discovered by the control plane (controller/oidc_discovery.py)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .httproute import BackendObjectReference, HeaderMatch
from .meta import K8sModel, LocalObjectReference, NamespacedObjectReference

# kgateway's HttpsUri and issuerURI patterns (an https URL; the issuer without a query)
_HOST = r"([a-zA-Z0-9]([a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?(:[0-9]{1,5})?"
_PATH = r"(/[a-zA-Z0-9\-._~!$&'()*+,;=:@%]*)*/?"
HttpsUri = Annotated[str, StringConstraints(pattern=rf"^https://{_HOST}{_PATH}(\?[a-zA-Z0-9\-._~!$&'()*+,;=:@%/?]*)?$")]
IssuerUri = Annotated[str, StringConstraints(pattern=rf"^https://{_HOST}{_PATH}$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]


class OAuth2Credentials(K8sModel):
    client_id: NonEmpty = Field(alias="clientID")
    client_secret_ref: LocalObjectReference  # key `client-secret`, in the GatewayExtension's namespace


class OAuth2CookieNames(K8sModel):
    access_token: NonEmpty | None = None
    id_token: NonEmpty | None = Field(default=None, alias="idToken")


class OAuth2CookieConfig(K8sModel):
    domain: Annotated[str, StringConstraints(
        min_length=1, max_length=253,
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9]))*$")] | None = None
    names: OAuth2CookieNames | None = None
    # backendconfig.py's order: typing caches equal Literals, so the first one spelled decides both CRDs' enums
    same_site: Literal["Strict", "Lax", "None"] | None = None
    disable_access_token_set_cookie: bool | None = None
    disable_id_token_set_cookie: bool | None = Field(default=None, alias="disableIDTokenSetCookie")
    disable_refresh_token_set_cookie: bool | None = None


class OAuth2DenyRedirectMatcher(K8sModel):
    headers: list[HeaderMatch] | None = Field(default=None, min_length=1, max_length=16)


class OAuth2Provider(K8sModel):
    backend_ref: BackendObjectReference
    authorization_endpoint: HttpsUri | None = None
    token_endpoint: HttpsUri | None = None
    redirect_uri: str | None = Field(default=None, alias="redirectURI")
    logout_path: NonEmpty = "/logout"
    forward_access_token: bool | None = None
    scopes: list[str] | None = None
    credentials: OAuth2Credentials
    issuer_uri: IssuerUri | None = Field(default=None, alias="issuerURI")
    end_session_endpoint: HttpsUri | None = None
    cookies: OAuth2CookieConfig | None = None
    deny_redirect: OAuth2DenyRedirectMatcher | None = None

    @model_validator(mode="after")
    def _endpoints(self) -> OAuth2Provider:  # kgateway's CEL rule, worded as it is
        if self.issuer_uri is None and (self.authorization_endpoint is None or self.token_endpoint is None):
            raise ValueError("Either issuerURI, or both authorizationEndpoint and tokenEndpoint must be specified")
        return self


class OAuth2Policy(K8sModel):
    extension_ref: NamespacedObjectReference
