"""Registry texts for translators: extract them to a PO file and merge translations back into the registry.

Every visible text a registry can translate (see :class:`consent.registry.LocaleTexts`) becomes one PO
message whose ``msgctxt`` is its dotted path (``categories.statistics.title``) and whose ``msgid`` is the
text in the registry's default locale. Merging writes the translated ``msgstr`` values into the
registry's ``[translations.<locale>…]`` tables with a round-trip editor (tomlkit for TOML, ruamel.yaml
for YAML), so comments, order and layout of everything else stay as they were.

Not translatable in the registry model today, so not extracted: the site ``name`` and cookie purposes.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from .errors import Problem, TranslationFileError
from .loader import FORMATS, load_registry, parse_registry
from .registry import Registry


@dataclass(frozen=True)
class RegistryText:
    """One translatable text: where it lives, what it says in the default locale, a hint for translators."""

    path: str
    source: str
    note: str


def registry_texts(registry: Registry) -> Iterator[RegistryText]:
    """Every non-empty translatable text, in the order a visitor meets them."""
    if registry.notice:
        yield RegistryText("notice", registry.notice, "The first layer's statement.")
    for category in registry.ordered_categories():
        where = f"Category {category.id!r}"
        for name in ("title", "description", "justification"):
            value = getattr(category, name)
            if value:
                yield RegistryText(f"categories.{category.id}.{name}", value, f"{where}: {name}.")
    for vendor in registry.vendors:
        where = f"Vendor {vendor.id!r} ({vendor.name})"
        yield RegistryText(
            f"vendors.{vendor.id}.name",
            vendor.name,
            f"{where}: name. A proper name: leave empty unless it has a usual form in this language.",
        )
        for name in ("description", "without_consent"):
            value = getattr(vendor, name)
            if value:
                yield RegistryText(f"vendors.{vendor.id}.{name}", value, f"{where}: {name}.")


def _existing(registry: Registry, locale: str, path: str) -> str | None:
    texts = registry.translations.get(locale)
    if texts is None:
        return None
    node: Any = texts
    for part in path.split("."):
        node = node.get(part) if isinstance(node, Mapping) else getattr(node, part, None)
        if node is None:
            return None
    return node if isinstance(node, str) else None


def extract_catalog(registry: Registry, locale: str | None = None) -> Catalog:
    """A PO catalog of every registry text; for ``locale``, pre-filled with the registry's translations."""
    catalog = Catalog(
        locale=locale.replace("-", "_") if locale else None,
        domain="registry",
        project=registry.name,
        version=registry.version or None,
        fuzzy=False,
        header_comment=(
            f"# Texts of the {registry.name} vendor registry"
            + (f", for {locale}" if locale else "")
            + ".\n# msgctxt is the text's path in the registry; leave a msgstr empty to keep the original.\n"
            + "# Bring translations back with: consent i18n merge REGISTRY THIS-FILE.po\n#"
        ),
    )
    for text in registry_texts(registry):
        translated = _existing(registry, locale, text.path) if locale else None
        catalog.add(text.source, translated or "", context=text.path, auto_comments=[text.note])
    return catalog


def write_catalog(catalog: Catalog, output: IO[bytes]) -> None:
    write_po(output, catalog, width=0, omit_header=False)


# -- merge --------------------------------------------------------------------------------------------


@dataclass
class MergeResult:
    """What a merge changed (dotted paths under ``translations.<locale>``) and what it left out."""

    locale: str
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    fuzzy: int = 0


def read_catalog(path: str | os.PathLike[str]) -> Catalog:
    """Read a PO file; a file that is not one raises :class:`TranslationFileError`."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            return read_po(handle, abort_invalid=True)
    except OSError as exc:
        raise TranslationFileError([Problem(source, None, "", f"cannot read the file: {exc}")]) from exc
    except Exception as exc:  # babel raises PoFileError and, for broken escapes, plain ValueErrors
        line = getattr(exc, "lineno", None)
        raise TranslationFileError([Problem(source, line, "", f"not a PO file: {exc}")]) from exc


def planned_translations(
    registry: Registry, catalog: Catalog, source: str, locale: str
) -> tuple[dict[str, str], MergeResult]:
    """The ``{path: translation}`` a catalog brings, checked against the registry; every problem at once."""
    known = {text.path: text for text in registry_texts(registry)}
    result = MergeResult(locale)
    planned: dict[str, str] = {}
    problems: list[Problem] = []
    for message in catalog:
        if not message.id:
            continue
        path = message.context or ""
        if not isinstance(message.id, str) or not isinstance(message.string, str):
            problems.append(
                Problem(source, message.lineno, path, "plural messages have no place in a registry")
            )
            continue
        translation = message.string.strip()
        if not translation:
            continue
        if message.fuzzy:
            result.fuzzy += 1
            continue
        text = known.get(path)
        if text is None:
            problems.append(Problem(source, message.lineno, path, "the registry has no such text"))
        elif " ".join(text.source.split()) != " ".join(message.id.split()):
            problems.append(
                Problem(
                    source, message.lineno, path, "the original text changed since extraction: extract again"
                )
            )
        elif _existing(registry, locale, path) == translation:
            result.unchanged += 1
        else:
            planned[path] = translation
    if problems:
        raise TranslationFileError(problems)
    result.changed = list(planned)
    return planned, result


def merge_catalog(
    registry_path: str | os.PathLike[str],
    catalog: Catalog,
    source: str = "<catalog>",
    locale: str | None = None,
) -> MergeResult:
    """Write the catalog's translations into the registry file in place, keeping everything else as is.

    ``locale`` defaults to the catalog's ``Language``. Nothing is written unless every entry fits and
    the edited registry validates; otherwise :class:`TranslationFileError` or :class:`RegistryError`
    lists every problem.
    """
    path = Path(registry_path)
    target = locale or (catalog.locale_identifier or "").replace("_", "-")
    if not target:
        raise TranslationFileError([Problem(source, None, "", "no Language in the PO header: pass --locale")])
    registry = load_registry(path)
    planned, result = planned_translations(registry, catalog, source, target)
    if not planned:
        return result
    fmt = FORMATS[path.suffix.lower()]
    text = path.read_text(encoding="utf-8")
    edited = _EDITORS[fmt](text, [(["translations", target, *p.split(".")], v) for p, v in planned.items()])
    parse_registry(edited, fmt, source=str(path))  # raises RegistryError listing every problem
    _replace(path, edited)
    return result


Edits = list[tuple[list[str], str]]


def _ordered(edits: Edits) -> Edits:
    # Shallow keys first, so a table that gets plain keys (notice) is created before its sub-tables.
    return sorted(edits, key=lambda edit: len(edit[0]))


def _edit_toml(text: str, edits: Edits) -> str:
    try:
        import tomlkit
    except ImportError as exc:
        raise _missing("tomlkit") from exc
    document = tomlkit.parse(text)
    for keys, value in _ordered(edits):
        node: Any = document
        for depth, key in enumerate(keys[:-1]):
            if key not in node:
                # Tables that only hold tables stay implicit: [translations.fr.categories.x], no [translations.fr.categories].
                node[key] = tomlkit.table(is_super_table=depth < len(keys) - 2)
            node = node[key]
        node[keys[-1]] = value
    return tomlkit.dumps(document)


def _edit_yaml(text: str, edits: Edits) -> str:
    try:
        from ruamel.yaml import YAML
        from ruamel.yaml.comments import CommentedMap
        from ruamel.yaml.util import load_yaml_guess_indent
    except ImportError as exc:
        raise _missing("ruamel.yaml") from exc
    _, indent, sequence_offset = load_yaml_guess_indent(text)

    def dump(document: Any, width: int) -> str:
        output = io.StringIO()
        yaml.width = width
        yaml.dump(document, output)
        return output.getvalue()

    yaml = YAML()  # round-trip mode: comments, order and quoting survive
    yaml.preserve_quotes = True
    # ruamel's guess: ``indent`` is where a sequence item's content starts, ``sequence_offset`` its dash.
    yaml.indent(mapping=2, sequence=indent or 2, offset=sequence_offset or 0)
    document = yaml.load(text)
    # ruamel re-flows multi-line plain scalars at ``width``: keep its default if that reproduces the file
    # (ruamel wrote it), else do not wrap at all, so a hand-wrapped paragraph becomes one line at worst.
    width = 80 if dump(document, 80) == text else 1 << 16
    for keys, value in _ordered(edits):
        node = document
        for key in keys[:-1]:
            if node.get(key) is None:
                node[key] = CommentedMap()
            node = node[key]
        node[keys[-1]] = value
    return dump(document, width)


def _edit_json(text: str, edits: Edits) -> str:
    document = json.loads(text)
    for keys, value in _ordered(edits):
        node = document
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    indent = _json_indent(text)
    return json.dumps(document, indent=indent, ensure_ascii=False) + ("\n" if text.endswith("\n") else "")


def _json_indent(text: str) -> int | None:
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" ")
        if stripped:
            return (len(line) - len(stripped)) or None
    return None


_EDITORS = {"toml": _edit_toml, "yaml": _edit_yaml, "json": _edit_json}


def _missing(package: str) -> TranslationFileError:
    return TranslationFileError(
        [Problem("<environment>", None, "", f"merging needs {package}: pip install 'consent-gate[edit]'")]
    )


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, so a failure never leaves half a registry."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def untranslated_locales(registry: Registry, locales: Iterable[str]) -> list[str]:
    """The ``locales`` (e.g. every widget language a site offers) with no registry translation at all:
    their visitors read the registry's texts in its default locale."""
    base = registry.default_locale.replace("_", "-").split("-")[0]
    return [
        locale
        for locale in locales
        if locale not in registry.translations
        and locale.replace("_", "-").split("-")[0] not in (base, *registry.translations)
    ]


__all__ = [
    "MergeResult",
    "RegistryText",
    "extract_catalog",
    "merge_catalog",
    "planned_translations",
    "read_catalog",
    "registry_texts",
    "untranslated_locales",
    "write_catalog",
]
