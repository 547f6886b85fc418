"""Errors that speak the user's language: each names what is wrong, where, and how to fix it."""

from __future__ import annotations


class IcsBenchError(Exception):
    """Base class: the CLI prints these as one clear message, never a traceback."""


class ConfigError(IcsBenchError):
    """The ICS config file is missing, unreadable or has a wrong option."""


class ExtractError(IcsBenchError):
    """A whole file cannot be loaded (empty, no header, missing required columns, unreadable)."""

    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file


class ReferenceDataError(IcsBenchError):
    """A reference list bundled with the engine (engine/reference_data/) is malformed: a packaging fault."""


class StoreError(IcsBenchError):
    """The store cannot be opened or is not an icsbench store."""


class ServerError(IcsBenchError):
    """The ICS SQL Server cannot be reached, refused a statement, or lacks what icsbench needs (`icsbench db check`).

    Messages never hold the password: connection strings are shown with secrets blanked."""
