"""Uploaded area files kept between the preview and the engineer's confirmation (browser upload).

Files live under MEDIA_ROOT/area-uploads/<token>/; the token is random and the session of the
engineer who uploaded holds it. Stale uploads are swept on the next upload.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from django.conf import settings

STAGING_MAX_AGE_S = 24 * 3600


def _staging_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "area-uploads"


def area_upload_stage(*, file, filename: str) -> str:
    """Keep an uploaded file until the engineer confirms it; returns an opaque token.

    Only our own token and a sanitised file name make up the path. Stale uploads are swept here.
    """
    import secrets
    import time

    root = _staging_root()
    root.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in root.iterdir():
        try:
            if now - old.stat().st_mtime > STAGING_MAX_AGE_S:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
    token = secrets.token_urlsafe(18)
    folder = root / token
    folder.mkdir()
    safe_name = Path(os.path.basename(filename)).name or "upload"
    if hasattr(file, "seek"):
        file.seek(0)
    with open(folder / safe_name, "wb") as dst:
        for chunk in file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(1 << 20), b""):
            dst.write(chunk)
    return token


def _staged_path(token: str) -> Path | None:
    import re

    if not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token or ""):
        return None
    folder = _staging_root() / token
    files = sorted(folder.iterdir()) if folder.is_dir() else []
    return files[0] if files else None


def area_upload_staged(*, token: str):
    """The staged upload as an open Django File (caller closes), or None if gone."""
    from django.core.files import File

    path = _staged_path(token)
    if path is None:
        return None
    return File(open(path, "rb"), name=path.name)


def area_upload_unstage(*, token: str) -> None:
    path = _staged_path(token)
    if path is not None:
        shutil.rmtree(path.parent, ignore_errors=True)
