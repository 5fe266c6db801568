"""manage.py import_spus FILE --fsp <EIC or name> --as <username> [--dry-run]."""

from __future__ import annotations

import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from tqdm import tqdm

from prequal.imports import spu_import_csv
from prequal.models import Fsp


class Command(BaseCommand):
    help = (
        "Import SPUs and their connection points from a CSV file (all or nothing). "
        "Lists every bad row and exits with status 1 when any row is bad."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "file", help="CSV file (UTF-8 or Windows-1252, comma or semicolon separated, with a header)"
        )
        parser.add_argument("--fsp", required=True, help="the FSP's EIC code or name")
        parser.add_argument("--as", dest="username", required=True,
                            help="the FSP user the import is attributed to")
        parser.add_argument("--dry-run", action="store_true", help="check the file, store nothing")
        parser.add_argument(
            "--max-bytes", type=int, default=None,
            help="refuse files larger than this; by default a local file has no limit "
                 "(uploads in the browser are held to GRIDPREQUAL_MAX_UPLOAD_BYTES)",
        )

    def handle(
        self, *args, file: str, fsp: str, username: str, dry_run: bool, max_bytes: int | None, **options
    ) -> None:
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user is called {username!r}.") from exc
        found = list(
            Fsp.objects.select_related("organisation").filter(
                Q(organisation__eic_code=fsp.upper()) | Q(organisation__name__iexact=fsp)
            )
        )
        if len(found) != 1:
            raise CommandError(f"No FSP has the EIC code or name {fsp!r}.")
        try:
            handle = open(file, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(f"Cannot open {file}: {exc.strerror}.") from exc

        with handle:
            total = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
            verbosity = options.get("verbosity", 1)
            bar = tqdm(total=max(total - 1, 0), unit=" rows", disable=verbosity < 1,
                       file=sys.stderr, leave=False)
            done = 0

            def progress(rows: int) -> None:
                nonlocal done
                bar.update(rows - done)
                done = rows

            try:
                result = spu_import_csv(
                    user=user, fsp=found[0], file=handle, dry_run=dry_run, progress=progress,
                    max_bytes=max_bytes,
                )
            except PermissionDenied as exc:
                raise CommandError(f"{username} does not act for {found[0]}.") from exc
            finally:
                bar.close()

        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(result.summary())
        self.stderr.write(result.read_as)  # how the file was read; stdout keeps the one-line summary
        self.stdout.write(result.summary())
