"""Operators' commands load when run (a web worker never imports them:
tests/integration/test_worker_memory.py), and `flask --help` still lists every group with
its own help line."""

from __future__ import annotations

import click
import pytest

from hotline.cli_lazy import GROUPS, LazyGroup
from tests.support.world import World


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_each_stand_in_names_its_real_group(name: str) -> None:
    real = LazyGroup(name, GROUPS[name]).real()
    assert (
        isinstance(real, click.Group)
        and real.name == name
        and real.list_commands(click.Context(real))
    )


def test_a_stand_in_for_the_wrong_group_refuses() -> None:
    with pytest.raises(TypeError, match="not the command group"):
        LazyGroup("db", GROUPS["cases"]).real()


def test_help_lists_every_group_with_its_help(world: World) -> None:
    result = world.app.test_cli_runner().invoke(args=["--help"])
    assert result.exit_code == 0, result.output
    for name, target in GROUPS.items():
        real = LazyGroup(name, target).real()
        line = next(line for line in result.output.splitlines() if line.split()[:1] == [name])
        assert real.get_short_help_str(45).split()[0] in line


def test_group_help_lists_its_commands(world: World) -> None:
    result = world.app.test_cli_runner().invoke(args=["cases", "--help"])
    assert result.exit_code == 0, result.output
    assert "Cases: metadata, and offline decryption." in result.output
    for command in ("list", "decrypt", "export", "purge", "escalate", "count"):
        assert command in result.output


def test_an_unknown_subcommand_is_a_clear_error(world: World) -> None:
    result = world.app.test_cli_runner().invoke(args=["cases", "nonsense"])
    assert result.exit_code == 2 and "No such command" in result.output
