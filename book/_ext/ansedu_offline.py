"""Sphinx extension of the ansedu book: the built book carries every script it runs in the browser.

A page needs three scripts besides Sphinx's own: MathJax 3 (to typeset math), and, on pages with
widgets, require.js and the ipywidgets embed manager. Loaded from a CDN, they are missing for a
reader without a network, who then sees raw ``\\(P\\)`` and no widget. This extension puts
pinned copies into ``_build/html/_static/ansedu-vendor/`` at every build, and ``_config.yml``
points the pages there (``mathjax_path`` and ``nb_ipywidgets_js``, relative to ``_static``):

- ``ansedu-vendor/mathjax/``: MathJax 3.2.2's ``es5`` folder, from the PyPI package
  ``sphinx-mathjax-offline`` (pinned in requirements.lock; its files are byte for byte those of the
  npm package ``mathjax@3.2.2``, and the build checks the entry script's hash). Only the combined
  component the book uses (``tex-mml-chtml.js``) is copied, with the folders MathJax loads from on
  demand: fonts, TeX extensions (``\\boldsymbol`` and the like are loaded when a page first uses
  them), the menu's renderers and the accessibility tools (speech rules included).
- ``ansedu-vendor/requirejs/`` and ``ansedu-vendor/html-manager/``: from the repository's
  ``vendor/`` folder (``vendor/README.md`` says where each file comes from); the build checks
  ``vendor/SHA256SUMS``.

The build needs no network and no npm. The copies are not under ``book/_static``, because
jupyter-book loads every ``.js`` and ``.css`` found there on every page.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

REPOSITORY = Path(__file__).resolve().parents[2]
VENDOR = REPOSITORY / "vendor"
PUBLISHED = "ansedu-vendor"  # under _static; not vendor/, which is pydata-sphinx-theme's

MATHJAX_DISTRIBUTION = "sphinx-mathjax-offline"
MATHJAX_FOLDER = "sphinx-mathjax-offline/static/mathjax"  # MathJax's es5 folder in that package
MATHJAX_ENTRY = "tex-mml-chtml.js"
# sha256 of es5/tex-mml-chtml.js in the npm package mathjax@3.2.2 (from `npm pack mathjax@3.2.2`)
MATHJAX_ENTRY_SHA256 = "300480069078b5892d2363a2b65e2dfbbf30fe5c80f83edbfecf4610fd093862"
# What MathJax loads on demand, relative to its own script: every folder except adaptors/ (for
# Node.js); the other combined components at the top of es5/ are never loaded by this one.
MATHJAX_ON_DEMAND = ("a11y", "input", "output", "sre", "ui")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mathjax_source() -> Path:
    try:
        distribution = importlib.metadata.distribution(MATHJAX_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ExtensionError(f"the book serves MathJax from the PyPI package "
                             f"{MATHJAX_DISTRIBUTION}, which is not installed: install "
                             "requirements.lock (`python3 tasks.py book` does)") from None
    folder = Path(distribution.locate_file(MATHJAX_FOLDER))
    entry = folder / MATHJAX_ENTRY
    if not entry.is_file() or sha256(entry) != MATHJAX_ENTRY_SHA256:
        raise ExtensionError(f"{entry} is missing or is not MathJax 3.2.2's: install "
                             f"{MATHJAX_DISTRIBUTION} as pinned in requirements.lock")
    return folder


def check_vendor_folder() -> None:
    """Every file listed in vendor/SHA256SUMS is present and unchanged."""
    listed = []
    for line in (VENDOR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        path = VENDOR / name.lstrip("*")
        listed.append(path)
        if not path.is_file() or sha256(path) != digest:
            raise ExtensionError(f"{path} is missing or differs from vendor/SHA256SUMS; "
                                 "vendor/README.md says how to restore or update it")
    unlisted = sorted(str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.is_file()
                      and p not in listed and p.name not in ("README.md", "SHA256SUMS"))
    if unlisted:
        raise ExtensionError(f"vendor/ holds files that vendor/SHA256SUMS does not list: "
                             f"{unlisted}")


def check_sources(app, config) -> None:
    """Fail early, before any notebook runs, if a copy would be missing."""
    mathjax_source()
    check_vendor_folder()


def publish(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / PUBLISHED
    shutil.rmtree(target, ignore_errors=True)
    for folder in ("requirejs", "html-manager"):
        shutil.copytree(VENDOR / folder, target / folder)
    shutil.copy2(VENDOR / "README.md", target / "README.md")
    mathjax = mathjax_source()
    (target / "mathjax").mkdir(parents=True)
    shutil.copy2(mathjax / MATHJAX_ENTRY, target / "mathjax" / MATHJAX_ENTRY)
    for folder in MATHJAX_ON_DEMAND:
        shutil.copytree(mathjax / folder, target / "mathjax" / folder)
    shutil.copy2(VENDOR / "mathjax" / "LICENSE", target / "mathjax" / "LICENSE")

    # Every local script the pages name must now exist (a typo in _config.yml would otherwise
    # show only in a browser).
    static = Path(app.outdir) / "_static"
    wanted = [app.config.mathjax_path, *app.config.nb_ipywidgets_js]
    missing = [name for name in wanted if "://" not in name and not (static / name).is_file()]
    if missing:
        raise ExtensionError(f"the pages load {missing} from _static, which the build does not "
                             "contain: check mathjax_path and nb_ipywidgets_js in _config.yml")
    remote = [name for name in wanted if "://" in name]
    if remote:
        raise ExtensionError(f"the pages would load {remote} from the network; the book must "
                             "work offline: serve them from _static/ansedu-vendor "
                             "(see vendor/README.md)")


def setup(app):
    app.connect("config-inited", check_sources)
    app.connect("build-finished", publish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
