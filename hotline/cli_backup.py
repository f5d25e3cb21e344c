"""`flask backup ...`: operator keys, an encrypted archive, a restore into an empty instance."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import AppGroup

from hotline import backup, db, pepper_check, wiring

backup_group = AppGroup("backup", help="Encrypted backups (never the pepper).")


def _blobs() -> Path:
    return wiring.settings().instance_path / "blobs"


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")


@backup_group.command("keygen")
@click.option("--public", "public_path", required=True, type=click.Path(path_type=Path))
@click.option("--private", "private_path", required=True, type=click.Path(path_type=Path))
def keygen(public_path: Path, private_path: Path) -> None:
    """Make the operator's backup key pair. Keep the private key off the server."""
    public, private = backup.make_keys()
    _write_private(private_path, private)
    public_path.write_text(public + "\n", encoding="utf-8")
    click.echo(f"public key {public_path} (for the server), private key {private_path} (offline)")


@backup_group.command("create")
@click.argument("archive", type=click.Path(path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(exists=True, path_type=Path),
    envvar="HOTLINE_BACKUP_PUBLIC_KEY_FILE",
    required=True,
    help="The operator's backup public key (or HOTLINE_BACKUP_PUBLIC_KEY_FILE).",
)
def create(archive: Path, public_key: Path) -> None:
    """One encrypted archive of the database and the attachment files."""
    public = backup.load_public(public_key.read_text(encoding="utf-8"))
    fd = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            summary = backup.create(wiring.settings().database_url, _blobs(), public, out)
    except backup.BackupError as error:
        archive.unlink(missing_ok=True)
        raise click.ClickException(str(error)) from None
    click.echo(
        f"{archive}: {summary.database}, {summary.files} files, {summary.bytes_written} bytes"
    )


@backup_group.command("restore")
@click.argument("archive", type=click.Path(exists=True, path_type=Path))
@click.option("--private-key", type=click.Path(exists=True, path_type=Path), required=True)
def restore(archive: Path, private_key: Path) -> None:
    """Restore into this (empty) instance. It needs the same pepper to open anything."""
    private = backup.load_private(private_key.read_text(encoding="utf-8"))
    try:
        with archive.open("rb") as handle:
            result = backup.restore(handle, private, wiring.settings().database_url, _blobs())
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"restored {result.get('database')} (schema {result.get('revision')}), "
        f"{result['files_restored']} files"
    )
    # The archive never holds the pepper; its database holds the pepper's check value.
    try:
        pepper_check.verify(db.database().sessions, wiring.services().context.keyring.pepper)
    except pepper_check.PepperMismatch as error:
        raise click.ClickException(
            f"{error}\nThe restored database stays, and the app will refuse to start until it "
            "is given the pepper of the backed-up instance."
        ) from None
