"""docs/PERFORMANCE.md: each benchmark owns one section between its start and end markers."""

from __future__ import annotations

from pathlib import Path

HEADER = "# Performance\n\nMeasured by the scripts in `bench/` (SPEC §7).\n"


def section_write(path: Path, section: str, *, start: str, end: str) -> None:
    """Replace the section between `start` and `end` (appending it if absent); leave the rest."""
    text = path.read_text() if path.exists() else HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
