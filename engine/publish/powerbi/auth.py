"""Signing in to the Power BI REST API: a `TokenProvider` hands out bearer tokens.

`ServicePrincipalTokens` is for unattended runs, `DeviceCodeTokens` for a person signing in; both can keep msal's
token cache in a file between runs. msal is imported only inside them, so everything else runs (and is tested) with
any object that has a `token()` method.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from engine.errors import IcsBenchError
from engine.publish.atomic import atomic_file

POWERBI_SCOPE = "https://analysis.windows.net/powerbi/api/.default"
AUTHORITY_HOST = "https://login.microsoftonline.com"


class TokenProvider(Protocol):
    """Anything that hands out a bearer token for the Power BI REST API (scope `POWERBI_SCOPE`)."""

    def token(self) -> str: ...


class ServicePrincipalTokens:
    """Tokens for an app registration signing in with a client secret, for unattended (scheduled) publishing.

    The secret is read from the environment variable named `secret_env`, never from a file or the command line.
    """

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        secret_env: str,
        *,
        cache_path: Path | None = None,
        environ: Mapping[str, str] | None = None,
        authority_host: str = AUTHORITY_HOST,
    ) -> None:
        secret = (os.environ if environ is None else environ).get(secret_env, "")
        if not secret:
            raise IcsBenchError(
                f"The environment variable {secret_env} is not set; set it to the service principal's client "
                "secret before publishing"
            )
        self._tenant_id = tenant_id
        self._client_id = client_id
        self._secret = secret
        self._cache_path = cache_path
        self._authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        self._app: Any = None
        self._cache: Any = None

    def token(self) -> str:
        import msal

        if self._app is None:
            self._cache = _load_cache(self._cache_path)
            self._app = msal.ConfidentialClientApplication(
                self._client_id,
                client_credential=self._secret,
                authority=self._authority,
                token_cache=self._cache,
            )
        result = self._app.acquire_token_for_client(scopes=[POWERBI_SCOPE])
        _save_cache(self._cache, self._cache_path)
        return _access_token(
            result,
            f"service principal {self._client_id}",
            "check the tenant id, the client id and the secret, and that the secret has not expired",
        )


class DeviceCodeTokens:
    """Tokens for a person: msal prints a code to enter at a Microsoft sign-in page, once per cached sign-in.

    `client_id` is a public-client app registration allowed to call the Power BI service; `tenant_id` may be the
    tenant's id or domain, or "organizations". With `cache_path`, the sign-in is remembered between runs.
    """

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        cache_path: Path | None = None,
        show: Callable[[str], None] = print,
        authority_host: str = AUTHORITY_HOST,
    ) -> None:
        self._client_id = client_id
        self._cache_path = cache_path
        self._show = show
        self._authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        self._app: Any = None
        self._cache: Any = None

    def token(self) -> str:
        import msal

        if self._app is None:
            self._cache = _load_cache(self._cache_path)
            self._app = msal.PublicClientApplication(
                self._client_id, authority=self._authority, token_cache=self._cache
            )
        accounts = self._app.get_accounts()
        result = self._app.acquire_token_silent([POWERBI_SCOPE], account=accounts[0]) if accounts else None
        if not (isinstance(result, dict) and "access_token" in result):
            flow = self._app.initiate_device_flow(scopes=[POWERBI_SCOPE])
            if "user_code" not in flow:
                reason = _first_line(flow.get("error_description") or flow.get("error") or "no reason given")
                raise IcsBenchError(f"Could not start the Power BI sign-in: {reason}; check the tenant and client id")
            self._show(str(flow["message"]))
            result = self._app.acquire_token_by_device_flow(flow)
        _save_cache(self._cache, self._cache_path)
        return _access_token(result, "you", "sign in again, with an account that can use Power BI")


def _access_token(result: Any, who: str, advice: str) -> str:
    token = result.get("access_token") if isinstance(result, dict) else None
    if isinstance(token, str):
        return token
    if isinstance(result, dict):
        reason = _first_line(str(result.get("error_description") or result.get("error") or "no reason given"))
    else:
        reason = "no token came back"
    raise IcsBenchError(f"Could not sign in to Power BI as {who}: {reason}; {advice}")


def _load_cache(path: Path | None) -> Any:
    import msal

    cache = msal.SerializableTokenCache()
    if path is not None and path.is_file():
        cache.deserialize(path.read_text(encoding="utf-8"))
    return cache


def _save_cache(cache: Any, path: Path | None) -> None:
    """Write the token cache if it changed; the temporary file is created owner-only and keeps that mode."""
    if path is None or cache is None or not cache.has_state_changed:
        return
    with atomic_file(path) as temporary:
        temporary.write_text(cache.serialize(), encoding="utf-8")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
