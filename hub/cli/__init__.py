"""The `hub` command and its commands (hub/cli/main.py). Every command that needs the hub's
app gets it from hub.cli.context.app_for_command."""

from hub.cli.main import main

__all__ = ["main"]
