"""Packaging: the wheel carries the widget (templates, static files, catalogs) and the console script; the
editable install serves the same files from the repository's ``widget/`` folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from configparser import ConfigParser
from importlib.resources import files
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ("banner", "panel", "preferences", "placeholder", "settings_link", "dialog")
WIDGET_FILES = (
    *(f"templates/consent/{name}.html" for name in TEMPLATES),
    "static/consent.css",
    "static/consent.js",
    "static/gpp-stub.js",
    "translations/de/LC_MESSAGES/messages.mo",
    "translations/fr/LC_MESSAGES/messages.mo",
    "translations/zh_Hans/LC_MESSAGES/messages.mo",
    "translations/pt_BR/LC_MESSAGES/messages.mo",
    "translations/es_419/LC_MESSAGES/messages.mo",
)
SOURCES = ("pyproject.toml", "README.md", "consent", "widget")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the working tree (so the build leaves nothing in the repository)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    out = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        text=True,
    )
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def dist_info_file(wheel: Path, names: set[str], filename: str) -> str:
    (path,) = [n for n in names if n.endswith(f".dist-info/{filename}")]
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(path).decode("utf-8")


def test_the_wheel_is_named_for_the_distribution(wheel: Path) -> None:
    assert wheel.name.startswith("consent_gate-")
    assert wheel.name.endswith("-py3-none-any.whl")


@pytest.mark.parametrize("path", WIDGET_FILES)
def test_the_wheel_contains_the_widget(names: set[str], path: str) -> None:
    assert f"consent/widget/{path}" in names


@pytest.mark.parametrize(
    "path", ["consent/py.typed", "consent/__init__.py", "consent/ext.py", "consent/widget/__init__.py"]
)
def test_the_wheel_contains_the_package(names: set[str], path: str) -> None:
    assert path in names


def test_the_wheel_contains_the_preset_catalogue(names: set[str]) -> None:
    shipped = {n.removeprefix("consent/presets/") for n in names if n.startswith("consent/presets/")}
    in_tree = {p.name for p in (ROOT / "consent" / "presets").iterdir() if p.suffix in (".py", ".toml")}
    assert shipped == in_tree and "analytics.toml" in shipped


def test_the_wheel_contains_only_the_package(names: set[str]) -> None:
    tops = {name.split("/")[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"consent"}
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_wheel_declares_the_console_script(wheel: Path, names: set[str]) -> None:
    parser = ConfigParser()
    parser.read_string(dist_info_file(wheel, names, "entry_points.txt"))
    assert parser["console_scripts"]["consent"].strip() == "consent.cli:main"


def test_the_wheel_metadata(wheel: Path, names: set[str]) -> None:
    metadata = dist_info_file(wheel, names, "METADATA")
    assert "Name: consent-gate" in metadata
    assert "Requires-Dist: flask>=3.1" in metadata
    assert "Provides-Extra: yaml" in metadata


def test_the_installed_wheel_renders_its_templates(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)  # a wheel is installed by unpacking it
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(target)!r})
        import consent
        from consent import ConsentState, load_registry
        from consent.banner import Widget, WidgetContext, make_environment
        from consent.i18n import translations

        assert consent.__file__.startswith({str(target)!r}), consent.__file__
        registry = load_registry({str(ROOT / "examples" / "reviews" / "vendors.toml")!r})
        ctx = WidgetContext(registry, ConsentState.undecided(registry), "de", "/consent/", "/consent/preferences")
        html = Widget(make_environment(), registry).banner(ctx)
        assert "Alle akzeptieren" in html, html
        assert translations("fr").gettext("Accept all") == "Tout accepter"
        assert translations("zh-CN").gettext("Accept all") == "全部接受"
        print("ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# -- the editable install ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", WIDGET_FILES)
def test_the_editable_install_serves_the_widget(path: str) -> None:
    resource = files("consent.widget").joinpath(*path.split("/"))
    assert resource.is_file()
    assert resource.read_bytes() == (ROOT / "widget" / path).read_bytes()


def test_the_editable_install_is_the_repository() -> None:
    import consent

    assert Path(consent.__file__).resolve().parent == ROOT / "consent"


def test_the_blueprint_finds_the_templates_and_static_files() -> None:
    from consent.flask.views import create_blueprint

    blueprint = create_blueprint()
    assert blueprint.template_folder is not None and blueprint.static_folder is not None
    assert (Path(blueprint.template_folder) / "consent" / "banner.html").is_file()
    assert (Path(blueprint.static_folder) / "consent.js").is_file()


def test_the_static_files_are_served(client: object) -> None:
    from flask.testing import FlaskClient

    assert isinstance(client, FlaskClient)
    for name in ("consent.css", "consent.js"):
        with client.get(f"/consent/static/{name}") as response:
            assert response.status_code == 200
            assert response.get_data() == (ROOT / "widget" / "static" / name).read_bytes()


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "consent"
    assert script.is_file()
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "validate" in result.stdout
