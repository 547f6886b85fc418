"""Signing in to Power BI: a service principal's secret or a person's device code, msal patched out."""

from __future__ import annotations

from typing import Any, ClassVar

import msal
import pytest

from engine.errors import IcsBenchError
from engine.publish.powerbi.auth import POWERBI_SCOPE, DeviceCodeTokens, ServicePrincipalTokens


class FakeConfidentialClient:
    made: ClassVar[list[dict[str, Any]]] = []
    answer: ClassVar[dict[str, Any]] = {}

    def __init__(self, client_id: str, **kwargs: Any) -> None:
        FakeConfidentialClient.made.append({"client_id": client_id, **kwargs})

    def acquire_token_for_client(self, scopes: list[str]) -> dict[str, Any]:
        assert scopes == [POWERBI_SCOPE]
        return self.answer


def test_the_service_principal_gets_a_token_or_says_why_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(msal, "ConfidentialClientApplication", FakeConfidentialClient)
    FakeConfidentialClient.made = []
    tokens = ServicePrincipalTokens(
        "tenant-1", "client-1", "ICSBENCH_PBI_SECRET", environ={"ICSBENCH_PBI_SECRET": "s3"}
    )

    monkeypatch.setattr(FakeConfidentialClient, "answer", {"access_token": "abc", "token_type": "Bearer"})
    assert tokens.token() == "abc"
    [made] = FakeConfidentialClient.made
    assert made["client_id"] == "client-1" and made["client_credential"] == "s3"
    assert made["authority"] == "https://login.microsoftonline.com/tenant-1"

    monkeypatch.setattr(
        FakeConfidentialClient,
        "answer",
        {
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1234",
        },
    )
    with pytest.raises(IcsBenchError) as raised:
        tokens.token()
    assert "AADSTS7000215: Invalid client secret provided." in str(raised.value)
    assert "Trace ID" not in str(raised.value)


def test_the_service_principal_needs_its_secret_variable() -> None:
    with pytest.raises(IcsBenchError, match="environment variable ICSBENCH_PBI_SECRET is not set"):
        ServicePrincipalTokens("tenant-1", "client-1", "ICSBENCH_PBI_SECRET", environ={})


def test_a_person_signs_in_with_a_device_code(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakePublicClient:
        def __init__(self, client_id: str, **kwargs: Any) -> None:
            self.signed_in: list[str] = []

        def get_accounts(self) -> list[dict[str, str]]:
            return [{"username": "me"}] if self.signed_in else []

        def acquire_token_silent(self, scopes: list[str], account: dict[str, str]) -> dict[str, Any]:
            return {"access_token": "cached"}

        def initiate_device_flow(self, scopes: list[str]) -> dict[str, Any]:
            return {"user_code": "ABC123", "message": "Go to https://microsoft.com/devicelogin and enter ABC123"}

        def acquire_token_by_device_flow(self, flow: dict[str, Any]) -> dict[str, Any]:
            self.signed_in.append("me")
            return {"access_token": "fresh"}

    monkeypatch.setattr(msal, "PublicClientApplication", FakePublicClient)
    shown: list[str] = []
    tokens = DeviceCodeTokens("organizations", "public-client", show=shown.append)
    assert tokens.token() == "fresh"
    assert tokens.token() == "cached"
    assert shown == ["Go to https://microsoft.com/devicelogin and enter ABC123"]
