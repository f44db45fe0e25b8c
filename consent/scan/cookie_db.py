"""The Open Cookie Database (https://github.com/jkwakman/Open-Cookie-Database, Apache-2.0) as a lookup.

Its CSV has one row per cookie or storage key: ``ID, Platform, Category, Cookie / Data Key name, Domain,
Description, Retention period, Data Controller, User Privacy & GDPR Rights Portals, Wildcard match``.
A wildcard row (``1``) matches every name that starts with its name (``_ga_`` matches ``_ga_ABC123``).
The project never ships the file; ``consent scan --cookie-db FILE`` reads a copy.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..errors import ScanError

COLUMNS = (
    "ID",
    "Platform",
    "Category",
    "Cookie / Data Key name",
    "Domain",
    "Description",
    "Retention period",
    "Data Controller",
    "User Privacy & GDPR Rights Portals",
    "Wildcard match",
)


@dataclass(frozen=True)
class KnownCookie:
    """One row of the database."""

    platform: str
    category: str  # Functional, Analytics, Marketing, Personalization, Security...
    name: str
    domain: str
    description: str
    retention: str
    controller: str
    privacy_url: str
    wildcard: bool

    def matches(self, name: str) -> bool:
        return name.startswith(self.name) if self.wildcard else name == self.name


@dataclass(frozen=True)
class CookieDatabase:
    """Exact names are looked up directly; wildcard rows are tried longest first."""

    exact: dict[str, KnownCookie]
    prefixes: tuple[KnownCookie, ...]

    @classmethod
    def load(cls, path: Path) -> CookieDatabase:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
                if missing:
                    raise ScanError(
                        str(path), "not an Open Cookie Database CSV: no column " + ", ".join(missing)
                    )
                rows = list(reader)
        except OSError as exc:
            raise ScanError(str(path), f"cannot read the cookie database: {exc.strerror or exc}") from exc
        exact: dict[str, KnownCookie] = {}
        prefixes = []
        for row in rows:
            entry = KnownCookie(
                platform=row["Platform"].strip(),
                category=row["Category"].strip(),
                name=row["Cookie / Data Key name"].strip(),
                domain=row["Domain"].strip(),
                description=row["Description"].strip(),
                retention=row["Retention period"].strip(),
                controller=row["Data Controller"].strip(),
                privacy_url=row["User Privacy & GDPR Rights Portals"].strip(),
                wildcard=row["Wildcard match"].strip() == "1",
            )
            if not entry.name:
                continue
            if entry.wildcard:
                prefixes.append(entry)
            else:
                exact.setdefault(entry.name, entry)
        prefixes.sort(key=lambda e: -len(e.name))
        return cls(exact, tuple(prefixes))

    def lookup(self, name: str) -> KnownCookie | None:
        found = self.exact.get(name)
        if found is not None:
            return found
        return next((entry for entry in self.prefixes if entry.matches(name)), None)

    def __len__(self) -> int:
        return len(self.exact) + len(self.prefixes)
