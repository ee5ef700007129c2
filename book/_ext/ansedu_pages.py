"""Sphinx extension of the ansedu book: small fixes to the pages that jupyter-book 1 writes.

1. ``static/ansedu-widgets.js`` is published as ``_static/ansedu-widgets.js``; pages with widgets
   load it (``nb_ipywidgets_js`` in ``_config.yml``; the comments in the file say what it fixes).
   It is not in ``book/_static`` because jupyter-book would then load it on every page.
2. Drop repeated inline scripts from every page:

With jupyter-book 1.0.4 (Sphinx 7.4), the inline configuration scripts of sphinx-thebe and
sphinx-togglebutton end up twice in each page's <head> (one copy from the builder, one from the
registry, with filename None and "" so that Sphinx's own de-duplication misses them). sphinx-thebe's declares
``const THEBE_JS_URL``, so its second copy is a SyntaxError in every browser's console
(tests/test_book_browser.py reports it). Keeping the first copy of each script changes nothing
else: the copies are identical.
"""

from __future__ import annotations

from pathlib import Path


def drop_repeated_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {})
        # An inline script's filename is None or "" depending on how it was added.
        key = (str(getattr(script, "filename", script) or ""), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    scripts[:] = kept


def add_static_folder(app, config):
    config.html_static_path.append(str(Path(__file__).resolve().parent / "static"))


def setup(app):
    app.connect("config-inited", add_static_folder)
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
