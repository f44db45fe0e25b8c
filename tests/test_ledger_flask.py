"""The ledger inside the Flask extension: what a decision records, the consent id, no I/O on browsing,
and 8 threads x 500 decisions through the example site on each backend."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_helpers import ORIGIN, PAGE, consent_from, example_app, find, html_of, post, state_of
from ledger_helpers import KEY, app_ledger, close_ledger, same_state
from sqlalchemy import event, func, select

from consent.ext import current_consent
from consent.ledger import Ledger, Spool
from consent.ledger import schema as tables
from consent.registry import Registry
from consent.state import Method

ROOT = Path(__file__).resolve().parents[1]

pytest_plugins = ["ledger_fixtures"]


def everything_stored(ledger: Ledger) -> str:
    """Every record and notice as one string, to search for what must never be there."""
    with ledger.engine.connect() as conn:
        bodies = [row.body for row in conn.execute(select(tables.records.c.body))]
        bodies += [row.body for row in conn.execute(select(tables.notices.c.body))]
        bodies += [str(tuple(row)) for row in conn.execute(select(tables.records))]
    return "\n".join(bodies)


# -- what a decision records --------------------------------------------------------------------------


def test_a_decision_records_how_where_and_what_was_shown(ledger_app: Flask) -> None:
    client = ledger_app.test_client()
    response = post(
        client,
        {"action": "custom", "category": "statistics", "vendor": "google-youtube", "layer": "second",
         "next": "/movie-review-her?email=someone%40example.com&utm_source=mail"},
        headers={"Accept-Language": "de", "Sec-GPC": "1", "User-Agent": "Secret-Agent/7.7",
                 "X-Forwarded-For": "198.51.100.23"},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )  # fmt: skip
    assert response.status_code == 303
    state = consent_from(response, ledger_app)
    assert state is not None and state.consent_id
    ledger = app_ledger(ledger_app)

    [record] = ledger.history(state.consent_id)

    assert (record.method, record.control, record.layer) == ("custom", "custom", "second")
    assert (record.locale, record.path, record.signals) == ("de", "/movie-review-her", ("gpc",))
    assert record.categories["statistics"] == "granted" and record.categories["marketing"] == "denied"
    assert record.vendors["google-youtube"] == "granted" and record.vendors["vimeo"] == "denied"
    assert record.revision == ledger_app.extensions["consent"].registry.revision
    notice = ledger.notice(record.notice)
    assert notice is not None and notice["locale"] == "de"
    stored = everything_stored(ledger)
    for personal in ("203.0.113.77", "198.51.100.23", "Secret-Agent", "someone", "utm_source"):
        assert personal not in stored


@pytest.mark.parametrize(
    ("form", "method"),
    [
        ({"action": "accept_all", "layer": "first"}, Method.ACCEPT_ALL),
        ({"action": "reject_all", "layer": "first"}, Method.REJECT_ALL),
        ({"action": "custom", "layer": "second", "category": "functional"}, Method.CUSTOM),
        ({"action": "withdraw", "layer": "second"}, Method.WITHDRAW),
        ({"action": "grant", "layer": "embed", "vendor": "vimeo"}, Method.EMBED),
    ],
)
def test_every_kind_of_decision_is_recorded(ledger_app: Flask, form: dict[str, str], method: Method) -> None:
    client = ledger_app.test_client()
    state = consent_from(post(client, form | {"next": PAGE}), ledger_app)
    assert state is not None

    [record] = app_ledger(ledger_app).history(state.consent_id or "")

    assert (record.method, record.control, record.layer) == (method.value, form["action"], form["layer"])


def test_the_ledger_gives_the_state_the_cookie_gives(ledger_app: Flask, registry: Registry) -> None:
    client = ledger_app.test_client()
    ledger = app_ledger(ledger_app)
    steps = [
        {"action": "accept_all", "layer": "first"},
        {"action": "custom", "layer": "second", "category": "functional", "vendor": "comscore"},
        {"action": "grant", "layer": "embed", "vendor": "google-maps"},
        {"action": "withdraw", "layer": "second"},
        {"action": "reject_all", "layer": "second"},
    ]
    for step in steps:
        response = post(client, step | {"next": PAGE})
        assert response.status_code == 303
        cookie_state = state_of(client, ledger_app)

        ledger_state = ledger.state_at(
            cookie_state.consent_id or "", ledger.history(cookie_state.consent_id or "")[-1].recorded_at
        )

        same_state(ledger_state, cookie_state, registry)
        assert ledger_state.expires_at == cookie_state.expires_at
        assert ledger_state.revision == cookie_state.revision
    assert [r.method for r in ledger.history(cookie_state.consent_id or "")] == [
        "accept_all", "custom", "embed", "withdraw", "reject_all",
    ]  # fmt: skip


# -- the consent id -----------------------------------------------------------------------------------


def test_the_visitor_sees_the_consent_id_the_ledger_files_under(ledger_app: Flask) -> None:
    client = ledger_app.test_client()
    post(client, {"action": "reject_all", "layer": "first", "next": PAGE})
    cid = state_of(client, ledger_app).consent_id
    assert cid and app_ledger(ledger_app).history(cid)

    panel = html_of(client.get("/consent/preferences?fragment=1&next=/"))
    status = json.loads(client.get("/consent/status").get_data(as_text=True))

    [shown] = find(panel, "p", class_="consent-id")
    assert shown.inner_text == f"Your consent ID: {cid}"
    assert status["consent_id"] == cid
    with ledger_app.test_request_context(
        PAGE, headers={"Cookie": f"consent={client.get_cookie('consent').value}"}
    ):  # type: ignore[union-attr]
        assert current_consent.id == cid


# -- the subject hook ---------------------------------------------------------------------------------


def test_a_site_can_attach_its_own_subject_id(ledger_url: str, tmp_path: Path) -> None:
    Ledger(ledger_url, timeout=None).init()
    app = example_app(
        CONSENT_LEDGER_URL=ledger_url,
        CONSENT_LEDGER_KEY=KEY,
        CONSENT_LEDGER_SPOOL=str(tmp_path / "spool"),
        CONSENT_LEDGER_SUBJECT=lambda request: request.headers.get("X-Account"),
    )
    try:
        client = app.test_client()
        state = consent_from(post(client, {"action": "accept_all"}, headers={"X-Account": "account-42"}), app)
        anonymous = consent_from(post(app.test_client(), {"action": "accept_all"}), app)
        assert state is not None and anonymous is not None

        assert app_ledger(app).history(state.consent_id or "")[0].subject == "account-42"
        assert app_ledger(app).history(anonymous.consent_id or "")[0].subject is None
    finally:
        close_ledger(app)


def test_a_failing_subject_hook_still_records_the_decision(
    ledger_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(request: Any) -> str:
        raise LookupError("no session store")

    Ledger(ledger_url, timeout=None).init()
    app = example_app(CONSENT_LEDGER_URL=ledger_url, CONSENT_LEDGER_KEY=KEY,
                      CONSENT_LEDGER_SPOOL=str(tmp_path / "spool"), CONSENT_LEDGER_SUBJECT=broken)  # fmt: skip
    try:
        with caplog.at_level(logging.ERROR, logger="consent.ledger"):
            response = post(app.test_client(), {"action": "accept_all"})
        state = consent_from(response, app)
        assert response.status_code == 303 and state is not None

        [record] = app_ledger(app).history(state.consent_id or "")
        assert record.subject is None
        assert "CONSENT_LEDGER_SUBJECT failed" in caplog.text
    finally:
        close_ledger(app)


# -- no I/O for visitors who only browse --------------------------------------------------------------


@pytest.fixture
def io_counter(ledger_app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Counts the ledger's database connections and statements and the spool's writes."""
    ledger = app_ledger(ledger_app)
    counts = {"connect": 0, "checkout": 0, "statement": 0, "spool": 0}

    def on(name: str) -> Any:
        def listener(*args: Any, **kwargs: Any) -> None:
            counts[name] += 1

        return listener

    event.listen(ledger.engine, "connect", on("connect"))
    event.listen(ledger.engine, "checkout", on("checkout"))
    event.listen(ledger.engine, "before_cursor_execute", on("statement"))
    original = Spool.append

    def append(self: Spool, *args: Any, **kwargs: Any) -> None:
        counts["spool"] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(Spool, "append", append)
    yield counts


def test_a_decided_visitor_who_browses_causes_no_ledger_io(
    ledger_app: Flask, io_counter: dict[str, int]
) -> None:
    client = ledger_app.test_client()
    post(client, {"action": "accept_all", "layer": "first", "next": PAGE})
    assert io_counter["statement"] > 0  # the decision itself was recorded
    for key in io_counter:
        io_counter[key] = 0

    for path in ("/", PAGE, "/privacy", "/?topic=Arts", "/t/pixel.gif", "/consent/status",
                 "/consent/preferences?next=/", PAGE):  # fmt: skip
        assert client.get(path, headers={"Accept-Language": "fr", "Sec-GPC": "1"}).status_code == 200

    assert io_counter == {"connect": 0, "checkout": 0, "statement": 0, "spool": 0}
    assert not Path(ledger_app.config["CONSENT_LEDGER_SPOOL"]).exists()


def test_creating_the_app_and_serving_pages_touch_no_database(tmp_path: Path) -> None:
    database = tmp_path / "ledger.sqlite3"
    app = example_app(CONSENT_LEDGER_URL=f"sqlite:///{database}", CONSENT_LEDGER_KEY=KEY,
                      CONSENT_LEDGER_SPOOL=str(tmp_path / "spool"))  # fmt: skip
    client = app.test_client()

    for path in ("/", PAGE, "/consent/status", "/consent/preferences"):
        client.get(path)

    assert not database.exists()
    assert app.extensions["consent"]._ledger is None  # not even built
    unreachable = example_app(
        CONSENT_LEDGER_URL="postgresql://postgres@127.0.0.1:1/none", CONSENT_LEDGER_KEY=KEY
    )
    assert unreachable.test_client().get(PAGE).status_code == 200


def test_with_the_ledger_off_nothing_of_it_is_imported() -> None:
    script = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "from flask_helpers import example_app, post\n"
        "app = example_app(); client = app.test_client()\n"
        "assert post(client, {'action': 'accept_all'}).status_code == 303\n"
        "client.get('/movie-review-her')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'psycopg', 'consent.ledger'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(ROOT / "tests"), str(ROOT)], capture_output=True, text=True, check=True,
        cwd=ROOT,
    )  # fmt: skip
    assert result.stdout.strip() == "[]"


def test_a_ledger_without_schema_spools_and_warns(
    ledger_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = example_app(
        CONSENT_LEDGER_URL=ledger_url, CONSENT_LEDGER_KEY=KEY, CONSENT_LEDGER_SPOOL=str(tmp_path / "spool")
    )
    try:
        with caplog.at_level(logging.WARNING, logger="consent.ledger"):
            response = post(app.test_client(), {"action": "accept_all"})
        state = consent_from(response, app)
        assert response.status_code == 303 and state is not None

        spooled = list(Spool(tmp_path / "spool").records())
        assert [r.consent_id for r in spooled] == [state.consent_id]
        assert "consent ledger init" in caplog.text
        ledger = app_ledger(app)
        assert ledger.schema_version() == 0  # the request created nothing
        ledger.init()
        ledger.replay()
        assert [r.consent_id for r in ledger.export()] == [state.consent_id]
    finally:
        close_ledger(app)


# -- 8 threads x 500 decisions --------------------------------------------------------------------------

FORMS = [
    {"action": "accept_all", "layer": "first"},
    {"action": "custom", "layer": "second", "category": "statistics", "vendor": "google-youtube"},
    {"action": "reject_all", "layer": "first"},
    {"action": "grant", "layer": "embed", "vendor": "vimeo"},
    {"action": "withdraw", "layer": "second"},
    {"action": "custom", "layer": "second", "category": "marketing"},
]


def run_decisions(app: Flask, threads: int, per_thread: int, new_visitor_every: int = 25) -> list[str]:
    """POST decisions from ``threads`` threads; returns every consent id the responses' cookies carry."""
    failures: list[str] = []
    consent_ids: list[set[str]] = [set() for _ in range(threads)]

    def work(n: int) -> None:
        client = app.test_client()
        for i in range(per_thread):
            if i and i % new_visitor_every == 0:
                client = app.test_client()
            form = FORMS[(n + i) % len(FORMS)] | {"next": PAGE}
            response = client.post("/consent/", data=form, headers=ORIGIN)
            state = consent_from(response, app)
            if response.status_code != 303 or state is None or not state.consent_id:
                failures.append(f"thread {n} decision {i}: {response.status}")
                continue
            consent_ids[n].add(state.consent_id)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    return sorted(set().union(*consent_ids))


@pytest.mark.slow
def test_eight_threads_times_500_decisions_are_4000_verified_records(ledger_app: Flask) -> None:
    consent_ids = run_decisions(ledger_app, threads=8, per_thread=500)
    ledger = app_ledger(ledger_app)
    ledger.replay()  # anything a busy moment sent to the spool

    with ledger.engine.connect() as conn:
        count, distinct = conn.execute(
            select(func.count(), func.count(func.distinct(tables.records.c.record_id)))
        ).one()
        ids = set(conn.scalars(select(tables.records.c.consent_id).distinct()))
    assert (count, distinct) == (4000, 4000)
    assert ids == set(consent_ids)
    assert len(consent_ids) == 8 * 500 // 25
    verification = ledger.verify()
    assert verification.ok, verification.problems[:5]
    assert verification.checked == 4000


# -- the example site -----------------------------------------------------------------------------------


def test_the_example_site_reads_its_ledger_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from examples.reviews.app import create_app

    monkeypatch.delenv("CONSENT_LEDGER_URL", raising=False)
    default = create_app()
    monkeypatch.setenv("CONSENT_LEDGER_URL", "postgresql://consent@db.internal/consent")
    configured = create_app()

    instance = ROOT / "examples" / "reviews" / "instance"
    assert default.config["CONSENT_LEDGER_URL"] == f"sqlite:///{instance / 'ledger.sqlite3'}"
    assert configured.config["CONSENT_LEDGER_URL"] == "postgresql://consent@db.internal/consent"
    assert example_app().config["CONSENT_LEDGER_URL"] is None  # tests opt in
    assert default.extensions["consent"]._ledger is None  # nothing built, nothing connected


def test_make_example_creates_the_schema_before_serving() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nexample:") :].split("\n\n")[0]

    init = recipe.index('consent ledger init --url "$(LEDGER_URL)"')
    assert init < recipe.index("flask --app examples.reviews.app:create_app run")
    assert 'CONSENT_LEDGER_URL="$(LEDGER_URL)"' in recipe
