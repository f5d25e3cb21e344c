"""The operators' `flask` command groups, imported only when one is run.

Web workers never run a command, so they never import the command modules (backups,
key signing, the SMS simulator, demo data...) nor what those pull in (sqlite3's backup
API, xml, pg_dump plumbing): about 3 MiB less in every worker (docs/operations.md, "Load").
`flask --help` and `flask GROUP --help` load the group they describe.
"""

from __future__ import annotations

import importlib

import click
from flask import Flask

# name -> "module:attribute" of its click group
GROUPS: dict[str, str] = {
    "audit": "hotline.cli_audit:audit_group",
    "backup": "hotline.cli_backup:backup_group",
    "cases": "hotline.cli:cases_group",
    "db": "hotline.cli:db_group",
    "demo": "hotline.cli_demo:demo_group",
    "handlers": "hotline.cli:handlers_group",
    "jobs": "hotline.cli_jobs:jobs_group",
    "keys": "hotline.cli_keys:keys_group",
    "notify": "hotline.cli:notify_group",
    "routing": "hotline.cli:routing_group",
    "sms": "hotline.cli_sms:sms_group",
    "web": "hotline.cli_web:web_group",
}


class LazyGroup(click.Group):
    """Stands in for a command group and hands everything to it once it is needed."""

    def __init__(self, name: str, target: str) -> None:
        super().__init__(name)
        self._target = target
        self._group: click.Group | None = None

    def real(self) -> click.Group:
        if self._group is None:
            module, attribute = self._target.split(":")
            group = getattr(importlib.import_module(module), attribute)
            if not isinstance(group, click.Group) or group.name != self.name:
                raise TypeError(f"{self._target} is not the command group {self.name!r}")
            self._group = group
        return self._group

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.real().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self.real().list_commands(ctx)

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.real().get_short_help_str(limit)

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.real().format_help_text(ctx, formatter)


def register(app: Flask) -> None:
    for name, target in GROUPS.items():
        app.cli.add_command(LazyGroup(name, target))
