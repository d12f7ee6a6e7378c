"""OpenID discovery for OAuth2 GatewayExtensions that leave endpoints to their `issuerURI`, done by the control
plane as kgateway's does: `<issuer>/.well-known/openid-configuration` is read directly (TLS verified against
the system CAs, unless the provider's Backend skips verification), kept, refreshed in the background, and a
failed read retried with backoff, so a provider unreachable at first is picked up once it answers.

Translation stays pure: the pipeline hands the results in as `TranslateOptions.oidc`
(translate/policies/oauth2.py reads them), and `refreshed()` re-yields the last source snapshot whenever a
result changes, so both modes translate again through their one loop."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from types import MappingProxyType

from .resources import Resources
from .translate.options import OidcConfiguration, OidcConfigurations
from .translate.policies.oauth2 import discovery_key

log = logging.getLogger("kgw.oidc")

WELL_KNOWN = "/.well-known/openid-configuration"
MAX_DOCUMENT_BYTES = 1 << 20
FETCH_TIMEOUT_S = 5.0
_HTTPS_URL = re.compile(r"^https://[^\s/?#]+(/[^\s#]*)?$")

Key = tuple[str, bool]  # (issuer URI, skip TLS verification)


def document_url(issuer: str) -> str:
    return issuer.rstrip("/") + WELL_KNOWN


def parse_configuration(url: str, body: bytes, issuer: str) -> OidcConfiguration:
    """The endpoints of a discovery document, or why it cannot be used (the error names the document). Its
    `issuer` must be the one asked for (OpenID Connect Discovery 1.0, 4.3: else a document served at one
    issuer's address could send logins to another; a trailing `/` is not a difference)."""
    if len(body) > MAX_DOCUMENT_BYTES:
        return OidcConfiguration(error=f"{url}: larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        return OidcConfiguration(error=f"{url}: not JSON ({e})")
    if not isinstance(doc, dict):
        return OidcConfiguration(error=f"{url}: not a JSON object")
    said = doc.get("issuer")
    if not isinstance(said, str) or said.rstrip("/") != issuer.rstrip("/"):
        return OidcConfiguration(error=f"{url}: issuer is {said!r}, not {issuer!r}")
    found: dict[str, str] = {}
    for name in ("authorization_endpoint", "token_endpoint", "end_session_endpoint"):
        value = doc.get(name)
        if value is None and name == "end_session_endpoint":
            continue
        if not isinstance(value, str) or not _HTTPS_URL.match(value):
            return OidcConfiguration(error=f"{url}: {name} is {'missing' if value is None else 'not an https URL'}")
        found[name] = value
    return OidcConfiguration(**found)


def fetch_configuration(issuer: str, skip_verify: bool) -> OidcConfiguration:
    url = document_url(issuer)
    context = ssl.create_default_context()
    if skip_verify:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S, context=context) as resp:
            return parse_configuration(url, resp.read(MAX_DOCUMENT_BYTES + 1), issuer)
    except urllib.error.HTTPError as e:
        return OidcConfiguration(error=f"{url} answered {e.code}")
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        return OidcConfiguration(error=f"{url}: {reason}")


class OidcDiscovery:
    """One background reader per wanted issuer; `configurations()` (from the translation thread) says what is
    known and starts or stops readers as the GatewayExtensions change."""

    def __init__(self, fetch: Callable[[str, bool], OidcConfiguration] = fetch_configuration,
                 refresh_s: float = 900.0, retry_s: tuple[float, float] = (1.0, 60.0), first_wait_s: float = 3.0):
        self.fetch, self.refresh_s, self.retry_s, self.first_wait_s = fetch, refresh_s, retry_s, first_wait_s
        self.on_change: Callable[[], None] | None = None  # called from a reader thread
        self._lock = threading.Lock()
        self._results: dict[Key, OidcConfiguration] = {}
        self._readers: dict[Key, tuple[threading.Thread, threading.Event, threading.Event]] = {}

    def configurations(self, resources: Resources) -> OidcConfigurations:
        wanted = {k for ext in resources.gateway_extensions.values() if (k := discovery_key(ext, resources))}
        with self._lock:
            for key in set(self._readers) - wanted:
                self._readers.pop(key)[1].set()
                self._results.pop(key, None)
            started = [self._start(key) for key in wanted - set(self._readers)]
        # new issuers get one shared moment to answer (not one each), so a provider does not start invalid
        deadline = time.monotonic() + self.first_wait_s
        for first in started:
            first.wait(max(0.0, deadline - time.monotonic()))
        with self._lock:
            return MappingProxyType({k: self._results[k] for k in wanted if k in self._results})

    def _start(self, key: Key) -> threading.Event:
        stop, first = threading.Event(), threading.Event()
        thread = threading.Thread(target=self._read, args=(key, stop, first), name=f"kgw-oidc {key[0]}",
                                  daemon=True)
        self._readers[key] = (thread, stop, first)
        thread.start()
        return first

    def _read(self, key: Key, stop: threading.Event, first: threading.Event) -> None:
        delay = self.retry_s[0]
        while not stop.is_set():
            result = self.fetch(*key)
            with self._lock:
                changed = not stop.is_set() and self._results.get(key) != result
                if changed:
                    self._results[key] = result
            first.set()
            if result.error:
                log.warning("OpenID discovery of %s failed (retrying in %.0f s): %s", key[0], delay, result.error)
            if changed and self.on_change is not None:
                self.on_change()
            wait = delay if result.error else self.refresh_s
            delay = min(delay * 2, self.retry_s[1]) if result.error else self.retry_s[0]
            stop.wait(wait)

    def close(self) -> None:
        with self._lock:
            readers = list(self._readers.values())
            self._readers.clear()
        for _, stop, _ in readers:
            stop.set()
        for thread, _, _ in readers:
            thread.join(FETCH_TIMEOUT_S + 1)


async def refreshed(source, discovery: OidcDiscovery) -> AsyncIterator:
    """`source`'s snapshots, and its last one again whenever a discovery result changes."""
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def changed() -> None:  # from a reader thread
        with contextlib.suppress(RuntimeError):  # the loop closed while the reader was reading: nobody waits
            loop.call_soon_threadsafe(wake.set)

    discovery.on_change = changed
    snapshots = aiter(source)
    following = asyncio.ensure_future(anext(snapshots))
    waiting: asyncio.Future | None = None
    last = None
    try:
        while True:
            waiting = asyncio.ensure_future(wake.wait())
            done, _ = await asyncio.wait({following, waiting}, return_when=asyncio.FIRST_COMPLETED)
            if following in done:
                waiting.cancel()
                try:
                    last = following.result()
                except StopAsyncIteration:
                    return
                yield last
                following = asyncio.ensure_future(anext(snapshots))
            else:
                wake.clear()
                if last is not None:
                    yield last
    finally:
        discovery.on_change = None
        following.cancel()
        if waiting is not None:
            waiting.cancel()
