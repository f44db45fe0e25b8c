"""The Open Cookie Database reader, on a tiny CSV of our own in its format."""

from __future__ import annotations

from pathlib import Path

import pytest

from consent.errors import ConsentError, ScanError
from consent.scan.cookie_db import COLUMNS, CookieDatabase

from .site import COOKIE_DB


@pytest.fixture
def database() -> CookieDatabase:
    return CookieDatabase.load(COOKIE_DB)


@pytest.mark.parametrize(
    ("name", "platform", "category"),
    [
        ("_hjSessionUser_1234", "Hotjar", "Analytics"),  # wildcard row: a prefix
        ("_hjid", "Hotjar", "Analytics"),  # exact row
        ("bank_csrf", "Example Bank", "Security"),
    ],
)
def test_lookup(database: CookieDatabase, name: str, platform: str, category: str) -> None:
    found = database.lookup(name)
    assert found is not None and (found.platform, found.category) == (platform, category)


@pytest.mark.parametrize("name", ["_hjSessionUser", "hjid", "_adt_extra", "unknown"])
def test_exact_rows_do_not_match_prefixes(database: CookieDatabase, name: str) -> None:
    assert database.lookup(name) is None


def test_size(database: CookieDatabase) -> None:
    assert len(database) == 4


def test_a_csv_without_the_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("name,category\n_ga,Analytics\n", encoding="utf-8")
    with pytest.raises(ScanError) as caught:
        CookieDatabase.load(path)
    assert caught.value.url == str(path) and "Platform" in caught.value.reason
    assert isinstance(caught.value, ConsentError)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="cannot read the cookie database"):
        CookieDatabase.load(tmp_path / "absent.csv")


def test_the_test_csv_has_the_real_columns() -> None:
    assert COOKIE_DB.read_text(encoding="utf-8").splitlines()[0].split(",") == list(COLUMNS)
