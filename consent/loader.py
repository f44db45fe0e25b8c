"""Load a vendor registry from TOML, JSON or YAML, reporting every problem with its place in the file."""

from __future__ import annotations

import bisect
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ._bulk import without_collector_pauses
from .codec import cookie_size_problem
from .errors import Problem, RegistryError
from .presets import expand_presets
from .registry import Registry
from .registry_checks import semantic_problems

Locator = Callable[[tuple[str | int, ...]], int | None]
FORMATS = {".toml": "toml", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}


def load_registry(path: str | os.PathLike[str]) -> Registry:
    """Read and validate a registry file; raise :class:`RegistryError` listing every problem."""
    file = Path(path)
    fmt = FORMATS.get(file.suffix.lower())
    if fmt is None:
        raise RegistryError(
            [
                Problem(
                    str(file), None, "", f"unknown registry format {file.suffix!r}: use .toml, .json or .yaml"
                )
            ]
        )
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError([Problem(str(file), None, "", f"cannot read the file: {exc}")]) from exc
    return parse_registry(text, fmt, source=str(file))


def parse_registry(text: str, fmt: str, source: str = "<string>") -> Registry:
    """Validate registry ``text`` written in ``fmt`` (``toml``, ``json`` or ``yaml``)."""
    if not text.strip():
        raise RegistryError([Problem(source, None, "", "the file is empty")])
    with without_collector_pauses():
        data, locate = _PARSERS[fmt](text, source)
        if not isinstance(data, Mapping):
            kind = type(data).__name__
            raise RegistryError(
                [Problem(source, 1, "", f"the top level must be a table of settings, not {kind}")]
            )
        return validate_registry(data, source, locate)


def validate_registry(
    data: Mapping[str, Any], source: str = "<data>", locate: Locator | None = None
) -> Registry:
    """Validate already-parsed registry data, collecting field and cross-field problems together."""
    where: Locator = locate or (lambda path: None)
    data, problems = expand_presets(data, source, where)  # `preset = "…"` vendors (consent.presets)
    registry: Registry | None = None
    try:
        registry = Registry.model_validate(data, context={"skip_semantics": True})
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            problems.append(Problem(source, where(loc), _dotted(loc), _message(error)))
    for path, message in semantic_problems(data):
        loc = tuple(int(p) if p.isdigit() else p for p in path.split("."))
        problems.append(Problem(source, where(loc), path, message))
    if registry is not None and not problems:
        too_big = cookie_size_problem(registry)
        if too_big:
            problems.append(Problem(source, where(("vendors",)), "vendors", too_big))
    if problems:
        raise RegistryError(sorted(set(problems), key=lambda p: (p.line or 0, p.path, p.message)))
    assert registry is not None
    return registry


def _dotted(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key {error['loc'][-1]!r}"
    if kind == "missing":
        return "required field is missing"
    message = str(error["msg"])
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


# -- parsers: each returns the data and a function from a path to its line -----------------------------


def _parse_toml(text: str, source: str) -> tuple[Any, Locator]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise RegistryError([Problem(source, line, "", f"invalid TOML: {exc}")]) from exc
    return data, _lazy_locator(lambda: _toml_lines(text))


def _parse_json(text: str, source: str) -> tuple[Any, Locator]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError([Problem(source, exc.lineno, "", f"invalid JSON: {exc.msg}")]) from exc

    def lines() -> dict[tuple[str | int, ...], int]:
        found: dict[tuple[str | int, ...], int] = {}
        _JsonWalker(text, found).value(0, ())
        return found

    return data, _lazy_locator(lines)


def _parse_yaml(text: str, source: str) -> tuple[Any, Locator]:
    try:
        import yaml
    except ImportError as exc:  # pragma: no cover - exercised by a test that hides the module
        raise RegistryError(
            [Problem(source, None, "", "YAML registries need PyYAML: pip install 'consent-gate[yaml]'")]
        ) from exc
    # libyaml's loader where PyYAML was built with it: the pure-Python one is many times slower.
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader_class)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = str(getattr(exc, "problem", None) or exc)
        raise RegistryError([Problem(source, line, "", f"invalid YAML: {problem}")]) from exc

    def lines() -> dict[tuple[str | int, ...], int]:
        found: dict[tuple[str | int, ...], int] = {}

        def walk(n: Any, path: tuple[str | int, ...]) -> None:
            found.setdefault(path, n.start_mark.line + 1)
            if isinstance(n, yaml.MappingNode):
                for key, value in n.value:
                    found[(*path, key.value)] = key.start_mark.line + 1
                    walk(value, (*path, key.value))
                    found[(*path, key.value)] = key.start_mark.line + 1
            elif isinstance(n, yaml.SequenceNode):
                for i, item in enumerate(n.value):
                    walk(item, (*path, i))

        node = yaml.compose(text, Loader=loader_class)
        if node is not None:
            walk(node, ())
        return found

    return data, _lazy_locator(lines)


_PARSERS: dict[str, Callable[[str, str], tuple[Any, Locator]]] = {
    "toml": _parse_toml,
    "json": _parse_json,
    "yaml": _parse_yaml,
}


def _lazy_locator(build: Callable[[], Mapping[tuple[str | int, ...], int]]) -> Locator:
    """The line of a path, or of its nearest ancestor that the file names.

    The positions are worked out only when a problem needs one: a valid file never pays for them.
    """
    lines: list[Mapping[tuple[str | int, ...], int]] = []

    def locate(path: tuple[str | int, ...]) -> int | None:
        if not lines:
            lines.append(build())
        for end in range(len(path), 0, -1):
            line = lines[0].get(path[:end])
            if line is not None:
                return line
        return None

    return locate


_TOML_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_TOML_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")


def _toml_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Where each table and key of a TOML document starts (tomllib keeps no positions).

    Tracks ``[table]`` and ``[[array.of.tables]]`` headers with their running indexes, which covers
    the layout a registry is written in; inline tables map to the line of their key.
    """
    lines: dict[tuple[str | int, ...], int] = {}
    counts: dict[tuple[str | int, ...], int] = {}
    current: tuple[str | int, ...] = ()
    open_quote: str | None = None  # inside a multi-line string, whose lines are not keys or headers
    for number, raw in enumerate(text.splitlines(), start=1):
        if open_quote is not None:
            if raw.count(open_quote) % 2:
                open_quote = None
            continue
        header = _TOML_HEADER.match(raw)
        if header:
            names = [_unquote(p) for p in header.group(2).split(".")]
            path: tuple[str | int, ...] = ()
            # Resolve each prefix against arrays of tables already seen, so that [[vendors.cookies]]
            # lands under the current vendor.
            for i, name in enumerate(names):
                path = (*path, name)
                if i < len(names) - 1 and path in counts:
                    path = (*path, counts[path] - 1)
            if header.group(1) == "[[":
                index = counts.get(path, 0)
                counts[path] = index + 1
                lines.setdefault(path, number)
                path = (*path, index)
            lines.setdefault(path, number)
            current = path
            continue
        key = _TOML_KEY.match(raw)
        if key:
            parts = tuple(_unquote(p) for p in key.group(1).split("."))
            lines.setdefault((*current, *parts), number)
        for quote in ('"""', "'''"):
            if raw.count(quote) % 2:
                open_quote = quote
                break
    return lines


def _unquote(name: str) -> str:
    name = name.strip()
    return name[1:-1] if len(name) >= 2 and name[0] in "\"'" and name[-1] == name[0] else name


_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


class _JsonWalker:
    """Records the line of every key and array item of a JSON document that ``json`` already accepted."""

    _space = re.compile(r"[ \t\n\r]*")

    def __init__(self, text: str, lines: dict[tuple[str | int, ...], int]) -> None:
        self.text = text
        self.lines = lines
        self.decoder = json.JSONDecoder()
        # Where each line ends, so that a position's line is a binary search: counting newlines from
        # the start for every key made large files quadratic.
        self.newlines = [match.start() for match in re.finditer("\n", text)]

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def skip(self, pos: int) -> int:
        match = self._space.match(self.text, pos)
        return match.end() if match else pos

    def value(self, pos: int, path: tuple[str | int, ...]) -> int:
        pos = self.skip(pos)
        self.lines.setdefault(path, self.line(pos))
        char = self.text[pos]
        if char == "{":
            pos = self.skip(pos + 1)
            if self.text[pos] == "}":
                return pos + 1
            while True:
                key_start = self.skip(pos)
                key, pos = _scanstring(self.text, key_start + 1)
                self.lines[(*path, key)] = self.line(key_start)
                pos = self.skip(pos) + 1  # the colon
                pos = self.skip(self.value(pos, (*path, key)))
                self.lines[(*path, key)] = self.line(key_start)
                if self.text[pos] == "}":
                    return pos + 1
                pos += 1  # the comma
        if char == "[":
            pos = self.skip(pos + 1)
            if self.text[pos] == "]":
                return pos + 1
            index = 0
            while True:
                pos = self.skip(self.value(pos, (*path, index)))
                index += 1
                if self.text[pos] == "]":
                    return pos + 1
                pos += 1
        _, end = self.decoder.raw_decode(self.text, pos)
        return end
