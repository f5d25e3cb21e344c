"""`flask web asset-hashes`: the hashes of every script and style the pages load."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from hotline import wiring
from hotline.assets import AssetHashes

web_group = AppGroup("web", help="The served web assets.")


@web_group.command("asset-hashes")
def asset_hashes() -> None:
    """SHA-256 (to compare with a release build) and the SRI value the pages carry."""
    hashes: AssetHashes = wiring.services().assets
    for item in hashes.served():
        click.echo(f"{item.sha256_hex}  {item.size:>9}  {item.sri}  static/{Path(item.path)}")
