"""Adding suggested entries to a TOML or YAML registry file, keeping its comments and layout.

Every addition carries a comment asking for review. A suggestion is never put into a required
category (the findings never propose one). Kept small and format-focused so that ``consent add``
can share it: :func:`add_entries` is the one entry point.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ScanError
from .findings import SuggestedCookie, Suggestion

REVIEW_NOTE = "suggested by `consent scan`: review before publishing"


def add_entries(path: Path, suggestions: Sequence[Suggestion]) -> list[str]:
    """Write ``suggestions`` into the registry at ``path``; return one line per change made."""
    suffix = path.suffix.lower()
    if suffix == ".toml":
        return _TomlFile(path).apply(suggestions)
    if suffix in (".yaml", ".yml"):
        return _YamlFile(path).apply(suggestions)
    raise ScanError(str(path), "--write needs a .toml or .yaml registry (JSON cannot keep review comments)")


def _cookie_fields(cookie: SuggestedCookie) -> dict[str, str]:
    fields = {"name": cookie.name, "party": cookie.party, "lifetime": cookie.lifetime}
    if cookie.domain:
        fields["domain"] = cookie.domain
    if cookie.purpose:
        fields["purpose"] = cookie.purpose
    return fields


def _next_number(vendors: Sequence[Any], retired: Sequence[Any]) -> int:
    used = {int(v.get("number", 0)) for v in vendors} | {int(n) for n in retired}
    number = 1
    while number in used:
        number += 1
    return number


def _import(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise ScanError(module, "--write needs it: pip install 'consent-gate[edit]'") from exc


class _Editor:
    """What both formats share: find the vendor, add hosts and cookies, or append a new vendor."""

    def apply(self, suggestions: Sequence[Suggestion]) -> list[str]:
        doc = self.load()
        vendors = self.vendors(doc)
        changes = []
        for s in suggestions:
            existing = next((v for v in vendors if v.get("id") == s.vendor_id), None)
            if existing is None and s.new_vendor and s.category:
                entry = {
                    "id": s.vendor_id,
                    "number": _next_number(vendors, doc.get("retired_numbers") or ()),
                    "name": s.name,
                    "category": s.category,
                    "policy_url": s.policy_url or "https://example.invalid/",
                }
                self.append_vendor(doc, entry, list(s.hosts), [_cookie_fields(c) for c in s.cookies])
                vendors = self.vendors(doc)
                changes.append(f"new vendor {s.vendor_id!r} in {s.category!r}")
                continue
            if existing is None:
                continue
            hosts = [h for h in s.hosts if h not in (existing.get("hosts") or ())]
            known = {c.get("name") for c in existing.get("cookies") or ()}
            cookies = [_cookie_fields(c) for c in s.cookies if c.name not in known]
            if hosts:
                self.add_hosts(existing, hosts)
                changes.append(f"vendor {s.vendor_id!r}: hosts {', '.join(hosts)}")
            if cookies:
                self.add_cookies(existing, cookies)
                changes.append(f"vendor {s.vendor_id!r}: cookies {', '.join(c['name'] for c in cookies)}")
        if changes:
            self.save(doc)
        return changes

    def load(self) -> Any:
        raise NotImplementedError

    def save(self, doc: Any) -> None:
        raise NotImplementedError

    def vendors(self, doc: Any) -> list[Any]:
        raise NotImplementedError

    def append_vendor(
        self, doc: Any, entry: dict[str, Any], hosts: list[str], cookies: list[dict[str, str]]
    ) -> None:
        raise NotImplementedError

    def add_hosts(self, vendor: Any, hosts: list[str]) -> None:
        raise NotImplementedError

    def add_cookies(self, vendor: Any, cookies: list[dict[str, str]]) -> None:
        raise NotImplementedError


class _TomlFile(_Editor):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tomlkit = _import("tomlkit")

    def load(self) -> Any:
        return self.tomlkit.parse(self.path.read_text(encoding="utf-8"))

    def save(self, doc: Any) -> None:
        self.path.write_text(self.tomlkit.dumps(doc), encoding="utf-8")

    def vendors(self, doc: Any) -> list[Any]:
        return list(doc.get("vendors") or ())

    def _cookie_tables(self, cookies: list[dict[str, str]]) -> list[Any]:
        tables = []
        for fields in cookies:
            table = self.tomlkit.table()
            table.add(self.tomlkit.comment(REVIEW_NOTE))
            table.update(fields)
            table.add(self.tomlkit.nl())
            tables.append(table)
        return tables

    def append_vendor(
        self, doc: Any, entry: dict[str, Any], hosts: list[str], cookies: list[dict[str, str]]
    ) -> None:
        table = self.tomlkit.table()
        table.add(self.tomlkit.comment(REVIEW_NOTE))
        table.update(entry)
        if hosts:
            table["hosts"] = hosts
        table.add(self.tomlkit.nl())
        if cookies:
            table["cookies"] = self.tomlkit.aot()
            for cookie in self._cookie_tables(cookies):
                table["cookies"].append(cookie)
        if "vendors" not in doc:
            doc["vendors"] = self.tomlkit.aot()
        doc["vendors"].append(table)

    def add_hosts(self, vendor: Any, hosts: list[str]) -> None:
        if "hosts" not in vendor:
            vendor["hosts"] = self.tomlkit.array()
        array = vendor["hosts"]
        for host in hosts:
            array.add_line(host, comment=REVIEW_NOTE)
        array.add_line(indent="")

    def add_cookies(self, vendor: Any, cookies: list[dict[str, str]]) -> None:
        if "cookies" not in vendor:
            vendor["cookies"] = self.tomlkit.aot()
        for cookie in self._cookie_tables(cookies):
            vendor["cookies"].append(cookie)


class _YamlFile(_Editor):
    def __init__(self, path: Path) -> None:
        self.path = path
        yaml = _import("ruamel.yaml")
        self.comments = _import("ruamel.yaml.comments")
        self.yaml = yaml.YAML()
        self.yaml.preserve_quotes = True

    def load(self) -> Any:
        with self.path.open(encoding="utf-8") as handle:
            return self.yaml.load(handle)

    def save(self, doc: Any) -> None:
        with self.path.open("w", encoding="utf-8") as handle:
            self.yaml.dump(doc, handle)

    def vendors(self, doc: Any) -> list[Any]:
        return list(doc.get("vendors") or ())

    def _map(self, fields: dict[str, Any]) -> Any:
        mapping = self.comments.CommentedMap(fields)
        mapping.yaml_set_start_comment(REVIEW_NOTE)
        return mapping

    def append_vendor(
        self, doc: Any, entry: dict[str, Any], hosts: list[str], cookies: list[dict[str, str]]
    ) -> None:
        mapping = self._map(entry)
        if hosts:
            mapping["hosts"] = self.comments.CommentedSeq(hosts)
        if cookies:
            mapping["cookies"] = self.comments.CommentedSeq(self._map(c) for c in cookies)
        if doc.get("vendors") is None:
            doc["vendors"] = self.comments.CommentedSeq()
        doc["vendors"].append(mapping)

    def add_hosts(self, vendor: Any, hosts: list[str]) -> None:
        if vendor.get("hosts") is None:
            vendor["hosts"] = self.comments.CommentedSeq()
        seq = vendor["hosts"]
        for host in hosts:
            seq.append(host)
            seq.yaml_add_eol_comment(REVIEW_NOTE, len(seq) - 1)

    def add_cookies(self, vendor: Any, cookies: list[dict[str, str]]) -> None:
        if vendor.get("cookies") is None:
            vendor["cookies"] = self.comments.CommentedSeq()
        for cookie in cookies:
            vendor["cookies"].append(self._map(cookie))
