"""The consent spreadsheet the import benchmark reads: `rows` consents of `rows // 2`
people (Slovenian and international names) over the default purposes, written with the
core's XLSX writer, reproducible from a seed."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.spreadsheets import Sheet, write_xlsx

HEADER = ["Email", "First name", "Last name", "Purpose", "Given at", "Duration months",
          "Source"]
PURPOSES = ("newsletter", "events", "sms")
FIRST = ("Ana", "Boris", "Luka", "Maja", "Žan", "Špela", "Nina", "Jure", "Olivia", "Noah",
         "Emma", "Liam", "Mateja", "Črt")
LAST = ("Novak", "Horvat", "Kovačič", "Krajnc", "Zupančič", "Čop", "Smith", "Müller",
        "García", "Rossi", "Kopitar", "Cesnik")
DOMAINS = ("example.si", "example.com", "siol.example", "gmail.example", "firma.example")
SOURCES = ("trade fair", "web shop", "newsletter form", None)


def consent_rows(rows: int, seed: int) -> Iterator[list[object]]:
    """Yield `rows` data rows: two consents per person (two purposes), given between 2018
    and 2024, half with a duration; the addresses in mixed case, as people type them."""
    rng = random.Random(seed)
    start = datetime(2018, 1, 1, tzinfo=UTC)
    for number in range(rows):
        person = number // 2
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.{person}@{rng.choice(DOMAINS)}"
        purpose = PURPOSES[(person + number % 2) % len(PURPOSES)]
        given = start + timedelta(minutes=rng.randrange(0, 7 * 365 * 24 * 60))
        months = rng.choice((None, 12, 24, 36))
        yield [email, first, last, purpose, given, months, rng.choice(SOURCES)]


def write_consent_sheet(path: Path, rows: int, seed: int) -> Path:
    """Write the consent spreadsheet of `rows` rows to `path` (kept when it exists with the
    same size and seed in its name) and return the path."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        write_xlsx(partial, [Sheet("Consents", HEADER, consent_rows(rows, seed))],
                   tz="Europe/Ljubljana")
        partial.replace(path)
    return path
