"""The ODBC connection to the ICS SQL Server: secrets, messages, dialect, and the PostgreSQL stand-in."""

from __future__ import annotations

import pytest

from engine import config as config_module
from engine.errors import ConfigError, ServerError
from engine.store.server import Server
from engine.store.server.connection import connection_string, odbc_value, shown
from tests.postgres_server import PASSWORD_ENV, SUPERUSER, PostgresServer

PROVIDERS = '[[providers]]\ncode = "ZZA"\nname = "A"\ntype = "acute"\n'
SQL_SERVER = "Driver={ODBC Driver 18 for SQL Server}"


def _section(text: str) -> config_module.ServerSection:
    config = config_module.parse(
        '[[providers]]\ncode = "ZZA"\nname = "A"\ntype = "acute"\n' + text,
        source="t.toml",
        base_dir=config_module.Path(),
    )
    assert config.server is not None
    return config.server


def test_password_in_the_config_connection_string_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"holds a password.*password_env"):
        _section('[server]\nconnection = "Driver={ODBC Driver 18 for SQL Server};Server=s;UID=u;PWD=secret"\n')


def test_password_comes_from_the_environment_and_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    section = _section(
        '[server]\nconnection = "Driver={ODBC Driver 18 for SQL Server};Server=tcp:ics,1433;Database=D"\n'
        'username = "refresh"\npassword_env = "ICS_TEST_PW"\n'
    )
    monkeypatch.setenv("ICS_TEST_PW", "p;w}d")
    text = connection_string(section)
    assert text.endswith("UID=refresh;PWD={p;w}}d};")
    assert "p;w" not in shown(text)
    assert shown(text).endswith("PWD=***;")


def test_a_missing_password_variable_says_which_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    section = _section('[server]\nconnection = "Server=s"\nusername = "u"\npassword_env = "ICS_TEST_PW_UNSET"\n')
    monkeypatch.delenv("ICS_TEST_PW_UNSET", raising=False)
    with pytest.raises(ServerError, match="ICS_TEST_PW_UNSET, which is not set"):
        connection_string(section)


def test_password_from_the_os_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    calls: list[tuple[str, str]] = []

    def fake(service: str, user: str) -> str | None:
        calls.append((service, user))
        return "from-keyring" if user == "refresh" else None

    monkeypatch.setattr(keyring, "get_password", fake)
    found = _section('[server]\nconnection = "Server=s"\nusername = "refresh"\npassword_keyring = true\n')
    assert connection_string(found).endswith("PWD=from-keyring;")
    missing = _section('[server]\nconnection = "Server=s"\nusername = "other"\npassword_keyring = true\n')
    with pytest.raises(ServerError, match="keyring set icsbench other"):
        connection_string(missing)
    assert calls == [("icsbench", "refresh"), ("icsbench", "other")]


def test_windows_sign_in_needs_no_user_or_password() -> None:
    section = _section(
        '[server]\nconnection = "Driver={ODBC Driver 18 for SQL Server};Server=s;Trusted_Connection=yes"\n'
    )
    assert connection_string(section) == "Driver={ODBC Driver 18 for SQL Server};Server=s;Trusted_Connection=yes;"


@pytest.mark.parametrize(
    ("value", "expected"), [("plain", "plain"), ("a;b", "{a;b}"), ("x}y", "{x}}y}"), (" s", "{ s}")]
)
def test_odbc_values_are_braced_when_they_must_be(value: str, expected: str) -> None:
    assert odbc_value(value) == expected


def test_connects_to_the_test_server_and_knows_its_dialect(
    postgres_server: PostgresServer, server_database: str
) -> None:
    section = _section(postgres_server.server_section(server_database))
    with Server(section) as server:
        assert server.dialect.name == "postgres"
        assert server.scalar("SELECT ? + 1", [41]) == 42
        assert postgres_server.password not in server.shown


def test_a_wrong_password_is_a_clear_message_without_the_password(
    postgres_server: PostgresServer, server_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "wrong-password-123")
    section = _section(postgres_server.server_section(server_database))
    with pytest.raises(ServerError, match="refused the login") as caught:
        Server(section)
    assert "wrong-password-123" not in str(caught.value)
    assert SUPERUSER in str(caught.value)


def test_a_missing_driver_says_what_to_install() -> None:
    section = _section('[server]\nconnection = "Driver={ODBC Driver 18 for SQL Server};Server=tcp:nowhere,1433"\n')
    with pytest.raises(ServerError, match="not installed"):
        Server(section)
