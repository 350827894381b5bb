import json

import pytest
from django.template import Context, Engine, engines
from django.template.loader_tags import BlockNode
from whitenoise.storage import CompressedManifestStaticFilesStorage

from config.static_storage import StaticFilesStorage
from config.template_loader import Loader, RememberingNodeList

TEMPLATES = {
    "base.html": (
        "<title>{% block title %}Base{% endblock %}</title>"
        "{% if show %}{% block nav %}<nav>{{ who }}</nav>{% endblock %}{% endif %}"
        "<main>{% block content %}{% endblock %}</main>{% include 'footer.html' %}"
    ),
    "middle.html": "{% extends 'base.html' %}{% block title %}Middle, {{ block.super }}{% endblock %}",
    "page.html": (
        "{% extends 'middle.html' %}{% block content %}{% for n in items %}<p>{{ n }}</p>{% endfor %}"
        "{% block inner %}inner {{ who }}{% endblock %}{% endblock %}"
        "{% block nav %}<nav>page {{ block.super }}</nav>{% endblock %}"
    ),
    "footer.html": "<footer>{% block foot %}{{ who }}{% endblock %}</footer>",
}


def _engine(loader: str) -> Engine:
    return Engine(loaders=[(loader, [("django.template.loaders.locmem.Loader", TEMPLATES)])])


def test_the_project_renders_with_the_remembering_loader() -> None:
    assert isinstance(engines["django"].engine.template_loaders[0], Loader)


@pytest.mark.parametrize(
    "context",
    [
        {"show": True, "who": "<b>a</b>", "items": [1, 2]},
        {"show": False, "who": "b", "items": []},
        {"show": True, "who": "c", "items": ["x"]},
    ],
)
def test_pages_render_as_with_djangos_cached_loader_every_time(context: dict) -> None:
    remembering = _engine("config.template_loader.Loader")
    plain = _engine("django.template.loaders.cached.Loader")
    for _ in range(3):  # the first render fills what the node lists remember; the others use it
        for name in ("page.html", "middle.html", "base.html"):
            expected = plain.get_template(name).render(Context(context))
            assert remembering.get_template(name).render(Context(context)) == expected
    assert "page &lt;nav&gt;" not in remembering.get_template("page.html").render(Context(context))


def test_a_loaded_template_remembers_its_blocks_and_hands_out_copies() -> None:
    engine = _engine("config.template_loader.Loader")
    engine.get_template("page.html").render(Context({"show": True, "who": "a", "items": []}))
    base = engine.get_template("base.html")
    assert isinstance(base.nodelist, RememberingNodeList)
    assert BlockNode in base.nodelist.__dict__["_by_type"]
    blocks = base.nodelist.get_nodes_by_type(BlockNode)
    assert sorted(b.name for b in blocks) == ["content", "nav", "title"]
    blocks.clear()  # a caller changing its list does not change what the template remembers
    assert len(base.nodelist.get_nodes_by_type(BlockNode)) == 3


def test_reset_templates_are_loaded_afresh() -> None:
    engine = _engine("config.template_loader.Loader")
    first = engine.get_template("base.html")
    engine.template_loaders[0].reset()
    assert engine.get_template("base.html") is not first


def _manifest(tmp_path, paths: dict[str, str]) -> None:
    (tmp_path / "staticfiles.json").write_text(json.dumps({"version": "1.1", "hash": "0", "paths": paths}))


def test_static_addresses_are_the_manifests_and_worked_out_once(tmp_path, settings) -> None:
    settings.DEBUG = False
    _manifest(tmp_path, {"css/site.css": "css/site.0123abcd.css"})
    storage = StaticFilesStorage(location=tmp_path, base_url="/static/")
    whitenoise = CompressedManifestStaticFilesStorage(location=tmp_path, base_url="/static/")
    assert storage.url("css/site.css") == whitenoise.url("css/site.css") == "/static/css/site.0123abcd.css"
    storage.hashed_files["css/site.css"] = "css/site.changed.css"
    assert storage.url("css/site.css") == "/static/css/site.0123abcd.css"
    # A name missing from the manifest is an error every time, never remembered as an address.
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")


def test_static_addresses_in_debug_are_the_unhashed_names(tmp_path, settings) -> None:
    settings.DEBUG = True
    _manifest(tmp_path, {"css/site.css": "css/site.0123abcd.css"})
    storage = StaticFilesStorage(location=tmp_path, base_url="/static/")
    assert storage.url("css/site.css") == "/static/css/site.css"
    settings.DEBUG = False
    assert storage.url("css/site.css") == "/static/css/site.0123abcd.css"
