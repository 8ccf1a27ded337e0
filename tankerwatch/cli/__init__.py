"""The `tankerwatch` command line: the main job, datasets, training, evaluation, registry, ports, review, feeds, serve.

The `main` group lives here; each command (or group of commands) lives in a module of its own and is
registered below. What they share (the error-handling group, progress bars, the run options, the main
job) is in options.py. Heavy modules are imported inside the commands, so start-up stays fast.
"""

from __future__ import annotations

import click

from tankerwatch.cli import (
    dataset,
    deliveries,
    evaluate,
    feed,
    history,
    ports,
    publish,
    registry,
    report,
    review,
    run,
    serve,
    synth,
    train,
)
from tankerwatch.cli.options import _Group


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="tankerwatch")
def main() -> None:
    """Find tankers in satellite scenes of ports, measure them, match them against sanctioned
    vessels and emit port-visit alerts.

    \b
    Quick start:
      tankerwatch demo                       # Vostochny passes through the main job, with a review
      tankerwatch run scenes/ --out out/     # detections, identifications and alerts
    """


for _command in (
    run.run,
    run.demo,
    synth.synth,
    dataset.dataset,
    train.train,
    train.train_stage,
    evaluate.evaluate_cmd,
    publish.publish,
    publish.export_cmd,
    registry.registry_group,
    review.review_group,
    history.history,
    ports.ports,
    feed.feed,
    report.report,
    deliveries.deliveries,
    serve.serve,
):
    main.add_command(_command)
del _command

__all__ = ["main"]
