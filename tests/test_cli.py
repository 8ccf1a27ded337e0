"""The command line: help with examples, exit codes, one-line errors naming the file."""

from __future__ import annotations

import click
import numpy as np
import pytest
from click.testing import CliRunner

from tankerwatch.cli import main
from tests.test_scene import write_raster


def _leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[list[str]]:
    """Every runnable command path under a group (so a new command cannot skip its example)."""
    paths = []
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            # a group with an argument before its subcommands (review OUT confirm ...) gets a folder that exists
            here = (".",) if any(isinstance(p, click.Argument) for p in cmd.params) else ()
            paths += _leaf_commands(cmd, (*prefix, name, *here))
        else:
            paths.append([*prefix, name])
    return paths


def test_the_cli_has_every_documented_command():
    names = {" ".join(c) for c in _leaf_commands(main)}
    assert {
        "run",
        "demo",
        "synth",
        "dataset synth",
        "dataset build",
        "train",
        "eval",
        "publish",
        "registry import",
        "registry validate",
        "registry show",
        "review . confirm",
        "review . reject",
        "review . export",
        "review . import",
        "registry size-model",
    } <= names


@pytest.mark.parametrize("command", _leaf_commands(main), ids=" ".join)
def test_every_command_help_shows_an_example(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Example:" in result.output and "tankerwatch" in result.output


def test_bad_registry_row_is_a_usage_error_naming_its_line(tmp_path):
    reg = tmp_path / "reg.csv"
    reg.write_text(
        "imo,name,vessel_type,flag,length_m,beam_m,dwt,gross_tonnage,sanctions,notes\n"
        "9074729,GOOD ONE,Oil Products Tanker,KP,100,15,,,UN-1718,\n"
        "1234568,BAD IMO,Oil Products Tanker,KP,100,15,,,UN-1718,\n"
    )
    scene = write_raster(tmp_path / "s.tif", np.zeros((3, 16, 16), np.uint8))
    result = CliRunner().invoke(main, ["run", str(scene), "--registry", str(reg), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "reg.csv:3" in result.output


def test_usage_error_exit_code_two(tmp_path):
    result = CliRunner().invoke(main, ["run", "--out", str(tmp_path)])
    assert result.exit_code == 2
