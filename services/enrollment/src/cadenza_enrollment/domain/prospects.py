"""Prospect input rules and the CSV import check (all rows valid, or nothing is imported)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cadenza_shared.errors import InvalidInput

EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
MAX_ROWS = 10_000
KNOWN = ("email", "first_name", "last_name", "company", "title", "country", "timezone", "phone", "account")


class ProspectIn(BaseModel):
    """A prospect as given through the API or one CSV row."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str = Field(max_length=254)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    country: str | None = None
    timezone: str | None = None
    phone: str | None = Field(default=None, max_length=40)
    account: str | None = Field(default=None, max_length=200)
    fields: dict[str, Any] = Field(default_factory=dict)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL.match(value):
            raise ValueError("not a valid email address")
        return value.lower()

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValueError("must be a two-letter ISO 3166 country code")
        return value.upper()

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone name") from None
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not re.fullmatch(r"\+?[0-9 ()./-]{6,40}", value):
            raise ValueError("not a phone number")
        return value

    def template_fields(self) -> dict[str, Any]:
        """Every value a template may use: known columns plus the extra ones."""
        base = {k: getattr(self, k) for k in KNOWN}
        return {**self.fields, **{k: v for k, v in base.items() if v is not None}}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str


def parse_prospects_csv(content: bytes) -> list[ProspectIn]:
    """Parse and validate a whole CSV; raise InvalidInput listing every bad row (line, field, reason)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("file", f"not UTF-8 text (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise InvalidInput("file", "empty CSV: a header row with at least 'email' is required")
    headers = [h.strip() for h in reader.fieldnames]
    if "email" not in headers:
        raise InvalidInput("header", "missing the required 'email' column")
    dupes = sorted({h for h in headers if headers.count(h) > 1})
    if dupes:
        raise InvalidInput("header", f"duplicate columns: {', '.join(dupes)}")
    errors: list[RowError] = []
    prospects: list[ProspectIn] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(reader):
        line = index + 2  # the header is line 1
        if index >= MAX_ROWS:
            raise InvalidInput("file", f"more than {MAX_ROWS} rows; split the file")
        if None in raw:
            errors.append(RowError(line, "row", f"{len(headers) + len(raw[None])} values for {len(headers)} columns"))
            continue
        row = {k.strip(): (v or "").strip() for k, v in raw.items()}
        known = {k: (row[k] or None) for k in KNOWN if k in row}
        extra = {k: v for k, v in row.items() if k not in KNOWN and v != ""}
        try:
            prospect = ProspectIn(**known, fields=extra)
        except ValidationError as exc:
            for err in exc.errors():
                errors.append(RowError(line, ".".join(str(p) for p in err["loc"]) or "row", _clean(err["msg"])))
            continue
        if prospect.email in seen:
            errors.append(RowError(line, "email", f"duplicate of line {seen[prospect.email]}"))
            continue
        seen[prospect.email] = line
        prospects.append(prospect)
    if errors:
        first = errors[0]
        raise InvalidInput(
            f"line {first.line}: {first.field}",
            f"{first.reason} ({len(errors)} bad row(s); nothing was imported)",
            details=[{"line": e.line, "field": e.field, "reason": e.reason} for e in errors[:200]],
        )
    if not prospects:
        raise InvalidInput("file", "no data rows")
    return prospects


def _clean(message: str) -> str:
    return message.removeprefix("Value error, ")
