"""Append a vendor entry to a registry file, keeping every other byte of it: comments, order, layout.

TOML goes through tomlkit, whose documents dump back exactly as they were parsed. YAML goes through
ruamel.yaml, which finds where the ``vendors`` sequence ends and writes the new item; the item is
inserted there as text, because re-dumping a whole YAML document normalises its indentation.
JSON has no comments to keep and is not supported (the loader still reads it).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from ..errors import ConsentError


class EditError(ConsentError):
    """A registry file cannot be edited in place; ``reason`` says why, ``source`` which file."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


def _missing(extra: str, module: str) -> EditError:
    return EditError("<edit>", f"editing needs {module}: pip install 'consent-gate[{extra}]'")


def append_toml(text: str, entry: Mapping[str, Any], comment: str | None = None) -> str:
    """``text`` with ``entry`` appended to its ``[[vendors]]`` array of tables."""
    try:
        import tomlkit
        from tomlkit.items import AoT, Array
    except ImportError as exc:  # pragma: no cover - tomlkit is in the dev extra
        raise _missing("edit", "tomlkit") from exc
    document = tomlkit.parse(text)
    table = _toml_table(entry, comment)
    vendors = document.get("vendors")
    if vendors is None:
        if text and not text.endswith("\n"):
            document.add(tomlkit.nl())
        document.add("vendors", tomlkit.aot())
        vendors = document["vendors"]
    if isinstance(vendors, AoT):
        vendors.append(table)
    elif isinstance(vendors, Array):
        vendors.append(_inline(entry))
    else:
        raise EditError("<toml>", "'vendors' is neither an array of tables nor an array")
    return tomlkit.dumps(document)


def _toml_table(entry: Mapping[str, Any], comment: str | None) -> Any:
    """The entry as a table written the way a person would: a blank line, then key = value lines."""
    import tomlkit

    def value(item: Any) -> str:
        if isinstance(item, Mapping):
            return "{ " + ", ".join(f"{k} = {value(v)}" for k, v in item.items()) + " }"
        return str(tomlkit.item(item).as_string())

    lines = ["[[vendors]]", *([f"# {comment}"] if comment else [])]
    lines += [f"{key} = {value(item)}" for key, item in entry.items()]
    table = tomlkit.parse("\n".join(lines) + "\n")["vendors"][0]
    table.trivia.indent = "\n"  # a blank line before the header, as between the other entries
    return table


def _inline(mapping: Mapping[str, Any]) -> Any:
    import tomlkit

    table = tomlkit.inline_table()
    table.update(mapping)
    return table


def append_yaml(text: str, entry: Mapping[str, Any], comment: str | None = None) -> str:
    """``text`` with ``entry`` appended to its ``vendors`` block sequence."""
    try:
        from ruamel.yaml import YAML
        from ruamel.yaml.comments import CommentedMap, CommentedSeq
    except ImportError as exc:  # pragma: no cover - ruamel.yaml is in the dev extra
        raise _missing("edit", "ruamel.yaml") from exc
    yaml = YAML()  # round-trip mode: keeps the positions of every node
    document = yaml.load(text)
    if not isinstance(document, CommentedMap):
        raise EditError("<yaml>", "the top level is not a mapping")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    vendors = document.get("vendors")
    if vendors is None or (isinstance(vendors, CommentedSeq) and not vendors):
        if "vendors" in document:
            raise EditError(
                "<yaml>", "'vendors' is empty: write 'vendors:' with no value, or add one entry by hand"
            )
        item = _yaml_item(yaml, entry, comment, dash_column=0)
        return "".join(lines) + "vendors:\n" + item
    if not isinstance(vendors, CommentedSeq) or vendors.fa.flow_style():
        raise EditError("<yaml>", "'vendors' must be a block sequence ('- ' items) to be edited in place")
    last_line, value_column = vendors.lc.item(len(vendors) - 1)
    dash_column = lines[last_line].rfind("-", 0, value_column)
    if dash_column < 0:
        raise EditError("<yaml>", "cannot find where the last vendor starts")
    end = _block_end(document, lines, "vendors")
    return "".join(lines[:end]) + _yaml_item(yaml, entry, comment, dash_column) + "".join(lines[end:])


def _block_end(document: Any, lines: list[str], key: str) -> int:
    """The index of the line after the last line with content in the top-level ``key``'s block."""
    keys = list(document)
    following = keys[keys.index(key) + 1 :]
    end = document.lc.key(following[0])[0] if following else len(lines)
    while end > 0 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end


def _yaml_item(yaml: Any, entry: Mapping[str, Any], comment: str | None, dash_column: int) -> str:
    out = io.StringIO()
    yaml.dump(dict(entry), out)
    body = out.getvalue().splitlines()
    pad = " " * dash_column
    lines = [f"{pad}# {comment}"] if comment else []
    lines += [f"{pad}- {body[0]}", *(f"{pad}  {line}" for line in body[1:])]
    return "\n".join(lines) + "\n"
