"""The contracts the app loaded at start, kept in `app.extensions`."""

from __future__ import annotations

from flask import Flask, current_app

from hub.contracts.loader import load_contracts
from hub.contracts.model import Contract
from hub.settings import Settings

EXTENSION = "hub.contracts"


def init_app(
    app: Flask, settings: Settings, *, contracts: dict[str, Contract] | None = None
) -> None:
    """Keep `contracts` (already loaded and checked by hub.agreements), or load them now.

    Raises `ContractProblems` (a `ConfigurationError`) naming the file and line of the first
    problem; the hub does not start with a broken contract.
    """
    if contracts is not None:
        app.extensions[EXTENSION] = contracts
    elif EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = load_contracts(settings.contracts_dir)


def current_contracts() -> dict[str, Contract]:
    return current_app.extensions[EXTENSION]
