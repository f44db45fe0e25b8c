"""The hosts an inline script names: URLs in its string literals, certain or not.

An inline loader (``s.src = "https://connect.example.net/sdk.js"``) fetches from a host as surely as a
``src`` does, so the registry checks it against the vendor's ``hosts``. Only string literals are read:
a URL that is assembled at run time (``"https://" + host``, a template literal with ``${}`` in its
host) cannot be known from the text and is reported as uncertain, for a person to look at.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# A URL start inside a literal: a scheme (http, https, ws, wss) or a protocol-relative "//" at its start.
_URL = re.compile(r"(?:\b(?:https?|wss?):)?//([^/?#\s'\"`\\]*)", re.IGNORECASE)
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PORT = re.compile(r":\d+$")


class InlineUrl(NamedTuple):
    """A URL in an inline script: its host when the text decides it, else ``None`` and why."""

    text: str
    host: str | None
    reason: str = ""


def inline_urls(code: object) -> list[InlineUrl]:
    """Every URL the string literals of ``code`` start, with its host or the reason it is unknown
    (nothing when ``code`` is not a string: raw registry data may hold anything)."""
    found: list[InlineUrl] = []
    if not isinstance(code, str):
        return found
    for body, end in _literals(code):
        after = code[end:].lstrip()
        for url in _URL.finditer(body):
            if not url.group(0).startswith(("http", "ws", "HTTP", "WS")) and url.start() != 0:
                continue  # a "//" in the middle of a literal without a scheme is not a URL start
            text = body[url.start() : url.start() + 120]
            authority = url.group(1).rsplit("@", 1)[-1]
            host = _PORT.sub("", authority).lower()
            runs_to_end = url.end() == len(body)
            if "${" in body[url.start() :] and ("$" in authority or runs_to_end):
                found.append(InlineUrl(text, None, "its host is filled in at run time"))
            elif runs_to_end and after.startswith("+"):
                found.append(InlineUrl(text, None, "it is joined to more text at run time"))
            elif not host:
                found.append(InlineUrl(text, None, "its host is not in the text"))
            elif not _HOST.match(host):
                found.append(InlineUrl(text, None, f"{host!r} is not a complete host name"))
            else:
                found.append(InlineUrl(text, host))
    return found


def _literals(code: str) -> list[tuple[str, int]]:
    """The string literals of ``code`` (their text and where they end), comments skipped."""
    out: list[tuple[str, int]] = []
    i, n = 0, len(code)
    while i < n:
        char = code[i]
        if code.startswith("//", i):
            i = code.find("\n", i)
            i = n if i < 0 else i
        elif code.startswith("/*", i):
            i = code.find("*/", i + 2)
            i = n if i < 0 else i + 2
        elif char in "'\"`":
            j = i + 1
            while j < n and code[j] != char:
                j += 2 if code[j] == "\\" else 1
            out.append((code[i + 1 : j], j + 1))
            i = j + 1
        else:
            i += 1
    return out


__all__ = ["InlineUrl", "inline_urls"]
