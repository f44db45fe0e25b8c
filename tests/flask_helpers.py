"""Helpers for the Flask tests: the example site, synthetic apps, posting decisions and reading HTML."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from flask import Flask, render_template_string
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from consent.codec import CookieCodec
from consent.ext import Consent, ConsentSettings
from consent.registry import Registry
from consent.state import ConsentState

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the example site is a package of the repository, not of the wheel
    sys.path.insert(0, str(ROOT))

from examples.reviews.app import create_app  # noqa: E402

#: Every POST to the consent endpoint must come from the site itself.
ORIGIN = {"Origin": "http://localhost"}
JSON = {"Accept": "application/json"}
PAGE = "/movie-review-her"


def example_app(**config: Any) -> Flask:
    return create_app({"TESTING": True, **config})


def synthetic_app(
    registry: Registry,
    *,
    template_folder: str | Path | None = None,
    secret: str = "test-secret",
    **config: Any,
) -> Flask:
    """A small app with one page that uses every helper, for registries other than the seed one."""
    app = Flask(__name__, template_folder=str(template_folder) if template_folder else None)
    app.config.update(TESTING=True, SECRET_KEY=secret, CONSENT_COOKIE_SECURE=False)
    app.config.update(config)
    Consent(app, registry=registry)

    @app.get("/")
    def page() -> str:
        return render_template_string(
            "<html><head>{{ consent_head() }}{{ consent_scripts('head') }}</head><body>"
            "{{ consent_settings_link() }}{{ consent_scripts('body') }}{{ consent_banner() }}</body></html>"
        )

    @app.get("/plain")
    def plain() -> str:
        return "<html><body>no consent here</body></html>"

    return app


def settings_of(app: Flask) -> ConsentSettings:
    settings = app.extensions["consent"]
    assert isinstance(settings, ConsentSettings)
    return settings


def codec_of(app: Flask) -> CookieCodec:
    with app.app_context():
        return settings_of(app).codec


def post(
    client: FlaskClient, data: Any = None, headers: Mapping[str, str] | None = None, **kwargs: Any
) -> TestResponse:
    """POST to the decision endpoint from the site itself."""
    return client.post("/consent/", data=data, headers={**ORIGIN, **(headers or {})}, **kwargs)


def set_cookies(response: TestResponse) -> dict[str, SimpleCookie]:
    """Every Set-Cookie of a response, by cookie name."""
    out: dict[str, SimpleCookie] = {}
    for header in response.headers.getlist("Set-Cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        for name in jar:
            out[name] = jar
    return out


def consent_from(response: TestResponse, app: Flask) -> ConsentState | None:
    """The consent state a response stores, decoded with the app's own codec (``None``: no cookie)."""
    codec = codec_of(app)
    jars = set_cookies(response)
    if codec.name not in jars:
        return None
    return codec.decode(jars[codec.name][codec.name].value)


def deleted_cookies(response: TestResponse) -> set[str]:
    """Names of the cookies a response expires (Max-Age=0 or an expiry date in the past)."""
    names = set()
    for name, jar in set_cookies(response).items():
        morsel = jar[name]
        if morsel["max-age"] == "0" or morsel["expires"].startswith("Thu, 01 Jan 1970"):
            names.add(name)
    return names


def cookie_value(client: FlaskClient, app: Flask) -> str:
    cookie = client.get_cookie(codec_of(app).name)
    assert cookie is not None
    return cookie.value


def state_of(client: FlaskClient, app: Flask) -> ConsentState:
    """The consent the client's cookie jar currently holds."""
    return codec_of(app).decode(cookie_value(client, app))


def give(client: FlaskClient, app: Flask, **fields: Any) -> ConsentState:
    """Post a decision (as a form) and return the state it stored."""
    response = post(client, fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    state = consent_from(response, app)
    assert state is not None
    return state


# -- reading HTML -----------------------------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: list[str] = field(default_factory=list)
    source: str = field(default="", repr=False)
    start: int = 0
    end: int = 0

    @property
    def outer_html(self) -> str:
        """The element's markup, start tag to end tag."""
        return self.source[self.start : self.end]

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()

    @property
    def inner_text(self) -> str:
        return " ".join(" ".join(self.text).split())


class _Collector(HTMLParser):
    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.line_starts = [0]
        for line in source.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def _position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _tag_end(self, start: int) -> int:
        return self.source.index(">", start) + 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._position()
        element = Element(tag, dict(attrs), source=self.source, start=start, end=self._tag_end(start))
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._position()
        self.elements.append(
            Element(tag, dict(attrs), source=self.source, start=start, end=self._tag_end(start))
        )

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i].tag == tag:
                self.open[i].end = self._tag_end(self._position())
                del self.open[i:]
                break

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text.append(data)


def elements(html: str) -> list[Element]:
    """Every element of a document, in order, with its attributes and the text inside it."""
    collector = _Collector(html)
    collector.feed(html)
    collector.close()
    return collector.elements


def find(html: str, tag: str | None = None, **attrs: str | None) -> Iterator[Element]:
    """Elements with this tag whose attributes have these values (``class_`` matches one class)."""
    wanted_class = attrs.pop("class_", None)
    for element in elements(html):
        if tag is not None and element.tag != tag:
            continue
        if wanted_class is not None and not element.has_class(wanted_class):
            continue
        if all(element.attrs.get(name.replace("_", "-")) == value for name, value in attrs.items()):
            yield element


def html_of(response: TestResponse) -> str:
    assert response.status_code == 200, response.status
    return response.get_data(as_text=True)


def submission(html: str, button: Element) -> MultiDict[str, str]:
    """The fields a browser posts when ``button`` is clicked: its form's (``form=`` or enclosing) inputs
    and the button's own name and value."""
    form_id = button.attrs.get("form")
    forms = list(find(html, "form", id=form_id)) if form_id else []
    assert len(forms) == 1, f"the button's form {form_id!r} is not on the page exactly once"
    fields = MultiDict(
        [(e.attrs["name"], e.attrs.get("value", "")) for e in find(forms[0].outer_html, "input")]
    )
    fields.add(button.attrs["name"], button.attrs["value"])
    return fields
