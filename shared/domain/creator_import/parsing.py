"""Reading a creators CSV (docs/import.md): the file is vetted whole before any row is written
(size, UTF-8, CSV syntax, columns), then read again row by row, streamed, into `Row`s that the
service checks and writes in chunks.

Bytes are decoded line by line, not through a text stream, so a byte that is not UTF-8 is
reported with its line: a newline byte never occurs inside a UTF-8 sequence."""

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.platforms.base import Platform

# About 400,000 typical rows: far more than one import needs, and it bounds the work done before
# the first row is written.
MAX_FILE_BYTES = 50 * 1024 * 1024
LIST_SEPARATOR = ";"
FIELDS = ("name", "email", "niches", "country", "language", "tags", "notes")
LIST_FIELDS = frozenset({"niches", "tags"})
PLATFORM_COLUMNS = tuple(platform.value for platform in Platform)
COLUMNS = (*FIELDS, *PLATFORM_COLUMNS)
REQUIRED = ("name",)


class FileRefused(Exception):  # noqa: N818  (a refusal for the person running the import)
    """The file as a whole cannot be imported; nothing of it was written."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Row:
    """One item to import: its position (`index` from 0; `line` in the file, for a CSV), the
    fields as given, and what is wrong with it before any field is checked."""

    index: int
    line: int | None
    data: Any
    errors: tuple[str, ...] = ()
    # For a CSV row, the column each of data["accounts"] came from: errors name the column.
    account_columns: tuple[str, ...] | None = None

    @property
    def where(self) -> str:
        return f"line {self.line}" if self.line is not None else f"item {self.index}"


@dataclass(frozen=True, slots=True)
class Header:
    columns: tuple[str, ...]


class CsvFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def check(self) -> int:
        """Refuse the file (FileRefused) unless every byte of it can be read; return its number
        of data rows. Nothing is written before this passes."""
        size = self.path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FileRefused(
                f"{self.path.name} is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes "
                "(50 MiB): split it into smaller files"
            )
        return sum(1 for _ in self.rows())

    def rows(self) -> Iterator[Row]:
        reader = csv.reader(self._lines(), strict=True)
        header = _header(self._next(reader))
        index, end = 0, reader.line_num
        while (values := self._next(reader)) is not None:
            start, end = end + 1, reader.line_num
            if not any(value.strip() for value in values):
                continue  # a blank line, or a row of empty cells
            yield _row(header, values, index, start)
            index += 1

    def _lines(self) -> Iterator[str]:
        with self.path.open("rb") as file:
            for number, raw in enumerate(file, start=1):
                if number == 1:
                    raw = raw.removeprefix(codecs.BOM_UTF8)
                try:
                    yield raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise FileRefused(
                        f"{self.path.name} is not UTF-8: line {number} has the byte "
                        f"0x{raw[exc.start]:02x} at position {exc.start + 1}; save the file as "
                        "UTF-8 (in Excel: CSV UTF-8)"
                    ) from None

    def _next(self, reader) -> list[str] | None:
        try:
            return next(reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            raise FileRefused(f"line {reader.line_num}: not valid CSV ({exc})") from None


def _header(values: list[str] | None) -> Header:
    if values is None:
        raise FileRefused("the file is empty: the first line names the columns")
    columns = tuple(value.strip().lower() for value in values)
    if len(columns) == 1 and (";" in columns[0] or "\t" in columns[0]):
        raise FileRefused(
            "the header has a single column: columns are separated by commas, not ';' or tabs"
        )
    named = [column for column in columns if column]
    repeated = sorted({column for column in named if named.count(column) > 1})
    if repeated:
        raise FileRefused(f"columns named more than once: {', '.join(repeated)}")
    unknown = [column for column in named if column not in COLUMNS]
    if unknown:
        raise FileRefused(
            f"unknown columns: {', '.join(unknown)}; the columns are {', '.join(COLUMNS)} "
            "(a platform column holds a handle or a profile URL)"
        )
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        raise FileRefused(f"missing required column: {', '.join(missing)}")
    return Header(columns)


def _row(header: Header, values: list[str], index: int, line: int) -> Row:
    if len(values) > len(header.columns):
        reason = f"the row has {len(values)} values; the header names {len(header.columns)}"
        return Row(index, line, {}, errors=(reason,))
    data: dict[str, Any] = {}
    accounts, columns, errors = [], [], []
    # A short row is a row whose last cells were left empty, as spreadsheets often write them.
    for position, (column, raw) in enumerate(zip(header.columns, values, strict=False)):
        value = raw.strip()
        if not value:
            continue
        if not column:
            errors.append(f"column {position + 1} has no name in the header but holds a value")
        elif column in LIST_FIELDS:
            data[column] = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
        elif column in FIELDS:
            data[column] = value
        else:
            accounts.append({"platform": column, "handle": value})
            columns.append(column)
    if accounts:
        data["accounts"] = accounts
    return Row(index, line, data, errors=tuple(errors), account_columns=tuple(columns))
