"""The built book, read in a real browser: every chapter renders its math, figures and widgets.

`python3 tasks.py test` builds the book into ``_build/html`` first, then runs this file. It
serves ``_build/html`` on 127.0.0.1 and drives Debian's headless Chromium
(``/usr/bin/chromium``) through Playwright over every page listed in ``book/_toc.yml``.

The pages load three scripts from a CDN when a reader views them: MathJax 3, require.js and the
ipywidgets embed manager (addresses in ``_config.yml``; all under
``https://cdn.jsdelivr.net/npm/<package>@<version>/``). The machine running the tests is offline,
so the browser's requests to that CDN are answered from the same npm packages, pinned in
``tests/browser/package.json`` and installed there with ``npm ci`` (``tasks.py test`` does it).
Every other request that leaves 127.0.0.1 is refused and reported.

Each page must load without console errors or failed requests, typeset all its math, show every
figure in its cell outputs, and render every widget from its saved state. A full-page
screenshot of each page goes into ``_build/screenshots/`` for humans to look at.

Set ``ANSEDU_BOOK_HTML`` to test another build (a folder holding the ``index.html``).
"""

from __future__ import annotations

import functools
import http.server
import json
import mimetypes
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from browser_support import CHROMIUM, CHROMIUM_FLAGS

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("ANSEDU_BOOK_HTML", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = HTML.parent / "screenshots"
TOC = ROOT / "book" / "_toc.yml"
NODE_MODULES = Path(__file__).resolve().parent / "browser" / "node_modules"
CDN = "https://cdn.jsdelivr.net/npm/"
TIMEOUT_MS = 30_000
SETUP_HINT = "run `python3 tasks.py test`, which builds the book and installs what this test needs"

pytestmark = pytest.mark.browser


def toc_pages() -> list[str]:
    """Page names (file names without suffix) in reading order: the root, then every entry."""
    toc = yaml.safe_load(TOC.read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))
            walk(entry.get("parts"))

    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    return [re.sub(r"\.(md|ipynb)$", "", page) for page in pages]


PAGES = toc_pages()


# -- the local web server ---------------------------------------------------------------------

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def site():
    """The built book served on a free port of 127.0.0.1; yields its base URL."""
    missing = [page for page in PAGES if not (HTML / f"{page}.html").is_file()]
    if missing:
        pytest.fail(f"the built book in {HTML} has no page for {', '.join(missing)} "
                    f"(listed in book/_toc.yml): {SETUP_HINT}", pytrace=False)
    handler = functools.partial(QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


# -- CDN requests answered from tests/browser/node_modules ------------------------------------

def _version_matches(requested: str, installed: str) -> bool:
    """``3`` or ``3.2`` match any installed 3.x or 3.2.x; ``2.3.4`` matches only itself."""
    if not re.fullmatch(r"\d+(\.\d+){0,2}", requested):
        return False
    return installed.split(".")[:requested.count(".") + 1] == requested.split(".")


def local_copy(url: str) -> tuple[Path | None, str]:
    """The file in node_modules that answers a CDN address, or None and the reason."""
    match = re.fullmatch(r"((?:@[^/@]+/)?[^/@]+)@([^/]+)/([^?#]+)", url[len(CDN):].split("?")[0])
    if not match:
        return None, "not of the form <package>@<version>/<file>"
    package, requested, file = match.groups()
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.is_file():
        return None, f"npm package {package} is not in tests/browser/package.json"
    installed = json.loads(manifest.read_text())["version"]
    if not _version_matches(requested, installed):
        return None, (f"the page asks for {package}@{requested} but tests/browser pins "
                      f"{package}@{installed}: update tests/browser/package.json")
    path = (NODE_MODULES / package / file).resolve()
    if not path.is_file() or NODE_MODULES.resolve() not in path.parents:
        return None, f"{package}@{installed} has no file {file}"
    return path, ""


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium, or {SETUP_HINT}", pytrace=False)
    for package in ("mathjax", "requirejs", "@jupyter-widgets/html-manager"):
        if not (NODE_MODULES / package / "package.json").is_file():
            pytest.fail(f"{NODE_MODULES / package} is missing: run `npm ci` in tests/browser, "
                        f"or {SETUP_HINT}", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class PageLog:
    """What went wrong while a page loaded: console errors, failed and refused requests."""

    def __init__(self):
        self.problems: list[str] = []

    def watch(self, page) -> None:
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(
            f"console error: {msg.text} (at {msg.location.get('url', '?')})"))
        page.on("pageerror", lambda error: self.problems.append(f"uncaught script error: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(
            f"request failed: {request.url} ({request.failure})"))
        page.on("response", lambda response: response.status >= 400 and self.problems.append(
            f"HTTP {response.status} for {response.url}"))


@pytest.fixture(scope="module")
def context(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    context.refused = []  # requests that left 127.0.0.1 and were not answered

    def answer(route):
        url = route.request.url
        if url.startswith(site) or url.startswith("data:"):
            route.continue_()
            return
        if url.startswith(CDN):
            path, reason = local_copy(url)
            if path is not None:
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                if path.suffix == ".woff2":
                    mime = "font/woff2"
                route.fulfill(path=str(path), headers={"Content-Type": mime,
                                                       "Access-Control-Allow-Origin": "*"})
                return
            context.refused.append(f"{url}: {reason}")
        else:
            context.refused.append(f"{url}: the test is offline; only {CDN} is served locally")
        route.abort()

    context.route("**/*", answer)
    yield context
    context.close()


# -- checks run inside the page ---------------------------------------------------------------

MATH_STATE = """() => {
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight';
  const maths = [...document.querySelectorAll('.math')];
  const untypeset = maths.filter(el => !el.querySelector('mjx-container'))
                         .map(el => el.textContent.trim().slice(0, 80));
  const walker = document.createTreeWalker(document.querySelector('main') || document.body,
                                           NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement.closest(skip)) texts.push(node.textContent);
  }
  return {
    count: maths.length,
    containers: document.querySelectorAll('mjx-container').length,
    untypeset: untypeset,
    errors: [...document.querySelectorAll('mjx-merror')].map(el => el.textContent.slice(0, 80)),
    text: texts.join(' '),
  };
}"""

# Raw TeX left in the text: \( \) \[ \] or $...$ that MathJax or MyST did not turn into math.
RAW_TEX = re.compile(r"\\[(\[]|\\[)\]]|\$\$|\$[^\s$](?:[^$\n]{0,200}?[^\s$\\])?\$")

FIGURE_STATE = """() => [...document.querySelectorAll('.cell_output img, .output img')].map((img, i) => ({
  index: i,
  src: (img.getAttribute('src') || '').slice(0, 80),
  complete: img.complete,
  naturalWidth: img.naturalWidth,
  hidden: !!img.closest('details:not([open])'),
}))"""

WIDGET_SCRIPT = 'script[type="application/vnd.jupyter.widget-view+json"]'

WIDGET_STATE = """(selector) => [...document.querySelectorAll(selector)].map(script => {
  let id = '?';
  try { id = JSON.parse(script.textContent).model_id; } catch (e) {}
  const area = script.previousElementSibling;
  const rendered = !!area && area.classList.contains('widget-subarea')
    && !!area.querySelector('.jupyter-widgets, [class*="widget-"]')
    && area.getBoundingClientRect().height > 0;
  return {id: id, rendered: rendered};
})"""

ALL_WIDGETS_RENDERED = """(selector) => [...document.querySelectorAll(selector)].every(script => {
  const area = script.previousElementSibling;
  return !!area && area.classList.contains('widget-subarea')
    && !!area.querySelector('.jupyter-widgets, [class*="widget-"]');
})"""


def check_page(page, name: str) -> list[str]:
    """Everything missing on the loaded page ``name``, as readable sentences."""
    problems = []

    # Math: wait for MathJax's first typesetting pass, then look for what it missed.
    if page.locator(".math").count():
        try:
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.evaluate("() => MathJax.startup.promise")
        except Exception as error:  # noqa: BLE001 (the message is what matters)
            problems.append(f"MathJax never started, so no math is typeset ({str(error).splitlines()[0]})")
    math = page.evaluate(MATH_STATE)
    if math["count"] and not math["containers"]:
        problems.append(f"none of its {math['count']} math elements was typeset (no mjx-container)")
    elif math["untypeset"]:
        problems.append(f"{len(math['untypeset'])} of {math['count']} math elements not typeset, "
                        f"first: {math['untypeset'][0]!r}")
    for error in math["errors"]:
        problems.append(f"MathJax error in a formula: {error!r}")
    for raw in sorted(set(RAW_TEX.findall(math["text"])))[:5]:
        problems.append(f"raw TeX left in the text: {raw!r}")

    # Widgets: the embed manager replaces each saved view with a rendered widget.
    if page.locator(WIDGET_SCRIPT).count():
        try:
            page.wait_for_function(ALL_WIDGETS_RENDERED, arg=WIDGET_SCRIPT)
        except Exception:  # noqa: BLE001 (reported below, widget by widget)
            pass
        for widget in page.evaluate(WIDGET_STATE, WIDGET_SCRIPT):
            if not widget["rendered"]:
                problems.append(f"widget {widget['id']} not rendered from its saved state "
                                "(no .jupyter-widgets / .widget-* element in its place)")

    # Figures: every image in a cell output (widget outputs included) loads and shows.
    images = page.locator(".cell_output img, .output img")
    for i in range(images.count()):
        try:
            images.nth(i).scroll_into_view_if_needed(timeout=5_000)
        except Exception:  # noqa: BLE001 (an invisible image is reported below)
            pass
    try:
        page.wait_for_function("() => [...document.querySelectorAll('.cell_output img, .output img')]"
                               ".every(img => img.complete)", timeout=10_000)
    except Exception:  # noqa: BLE001 (reported below, image by image)
        pass
    for figure in page.evaluate(FIGURE_STATE):
        where = f"figure {figure['index'] + 1} ({figure['src']})"
        if not figure["complete"] or figure["naturalWidth"] == 0:
            problems.append(f"{where} did not load (naturalWidth 0)")
        elif not figure["hidden"] and not images.nth(figure["index"]).is_visible():
            problems.append(f"{where} is not visible")
    return problems


@pytest.mark.parametrize("name", PAGES)
def test_page_renders(context, site, name):
    page = context.new_page()
    log = PageLog()
    log.watch(page)
    refused_before = len(context.refused)
    problems = []
    try:
        page.goto(f"{site}{name}.html", wait_until="load")
        problems = check_page(page, name)
        page.wait_for_load_state("networkidle")
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        try:
            page.evaluate("() => { window.scrollTo(0, 0); document.activeElement?.blur(); }")
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        except Exception as error:  # noqa: BLE001 (a screenshot is for humans, not a check)
            print(f"no screenshot of {name}: {error}")
        page.close()
    problems += log.problems
    problems += [f"request refused: {r}" for r in context.refused[refused_before:]]
    assert not problems, (f"page {name}.html (book/{name}.md) has problems:\n  - "
                          + "\n  - ".join(dict.fromkeys(problems)))


def test_next_links_reach_every_chapter(context, site):
    """From the front door, the "next" link at the bottom of each page walks the whole TOC."""
    page = context.new_page()
    try:
        page.goto(site, wait_until="load")  # index.html forwards to the root page
        page.wait_for_url(re.compile(rf"/{re.escape(PAGES[0])}\.html"), timeout=10_000)
        visited = [PAGES[0]]
        while len(visited) <= len(PAGES):
            following = page.locator("a.right-next")
            if not following.count():
                break
            following.first.click()
            page.wait_for_load_state("load")
            visited.append(Path(urlsplit(page.url).path).stem)
        for i, (got, expected) in enumerate(zip(visited, PAGES)):
            assert got == expected, (
                f'clicking "next" on {visited[i - 1]}.html led to {got}.html, but book/_toc.yml puts '
                f"{expected} there; reached so far: {' -> '.join(visited[:i + 1])}")
        assert len(visited) == len(PAGES), (
            f'the "next" links stop at {visited[-1]}.html; never reached: '
            f"{', '.join(PAGES[len(visited):])}" if len(visited) < len(PAGES) else
            f'{PAGES[-1]}.html, the last page in book/_toc.yml, still has a "next" link')
    finally:
        page.close()
