"""The built book, read in a real browser with no network: every chapter renders its math,
figures and widgets.

`python3 tasks.py test` builds the book into ``_build/html`` first, then runs this file. It opens
the built pages as files (``file://``), as a reader does who downloaded the book, in Debian's
headless Chromium (``/usr/bin/chromium``) driven through Playwright, over every page listed in
``book/_toc.yml``.

Chromium runs in a new network namespace that holds only the loopback interface
(``browser_support.offline_chromium``): nothing a page asks of the internet can arrive. So the
pages must carry what they run: MathJax, require.js and the ipywidgets embed manager are served
from ``_static/ansedu-vendor/`` in the built book (``book/_ext/ansedu_offline.py``, ``vendor/``).
Every request that leaves the book (anything but ``file:``, ``data:`` or ``blob:`` addresses) is
listed as a failure, and so is every failed request and console error.

Each page must load without them, typeset all its math, show every figure in its cell outputs, and
render every widget from its saved state. A full-page screenshot of each page goes into
``_build/screenshots/`` for humans to look at.

Set ``ANSEDU_BOOK_HTML`` to test another build (a folder holding the ``index.html``).
"""

from __future__ import annotations

import html.parser
import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from browser_support import (CHROMIUM_FLAGS, interface_names, offline_chromium, require_chromium,
                             require_network_namespace)

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("ANSEDU_BOOK_HTML", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = HTML.parent / "screenshots"
TOC = ROOT / "book" / "_toc.yml"
INSIDE_THE_BOOK = ("file:", "data:", "blob:", "about:")  # addresses that need no network
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


@pytest.fixture(scope="module")
def site():
    """The built book's folder as a file:// address, ending in a slash."""
    missing = [page for page in PAGES if not (HTML / f"{page}.html").is_file()]
    if missing:
        pytest.fail(f"the built book in {HTML} has no page for {', '.join(missing)} "
                    f"(listed in book/_toc.yml): {SETUP_HINT}", pytrace=False)
    return HTML.as_uri() + "/"


# -- what the pages ask for, read from the HTML -----------------------------------------------

class Assets(html.parser.HTMLParser):
    """The addresses of the scripts, stylesheets, fonts and images a page names."""

    def __init__(self):
        super().__init__()
        self.addresses: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe") and attrs.get("src"):
            self.addresses.append(attrs["src"])
        if tag == "link" and attrs.get("href") and set((attrs.get("rel") or "").split()) & {
                "stylesheet", "preload", "modulepreload", "icon"}:
            self.addresses.append(attrs["href"])


def test_pages_name_no_remote_script_or_style():
    """Before any browser: no page names a script, stylesheet or image on another site."""
    remote = {}
    for page in sorted(HTML.rglob("*.html")):
        parser = Assets()
        parser.feed(page.read_text(encoding="utf-8"))
        found = [a for a in parser.addresses if re.match(r"[a-z][a-z0-9+.-]*:|//", a, re.I)
                 and not a.startswith(("data:", "blob:"))]
        if found:
            remote[str(page.relative_to(HTML))] = found
    assert not remote, ("pages load files from the network, so they break offline (serve them "
                        f"from _static/ansedu-vendor, see vendor/README.md): {remote}")
    assert list(HTML.rglob("*.html")), f"no page in {HTML}: {SETUP_HINT}"


# -- the browser, in a network namespace with only the loopback -------------------------------

@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    require_chromium(SETUP_HINT)
    interfaces = interface_names(require_network_namespace(SETUP_HINT))
    assert interfaces == ["lo"], f"a new network namespace should hold only lo, not {interfaces}"
    launcher, report = offline_chromium(tmp_path_factory.mktemp("chromium"))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(launcher), headless=True,
                                              args=CHROMIUM_FLAGS)
        # Where did Chromium really run? The launcher wrote it down just before starting it.
        namespace, *links = report.read_text().splitlines()
        assert namespace != os.readlink("/proc/self/ns/net"), (
            "Chromium runs in the test's own network namespace: it could reach the network")
        assert interface_names(links) == ["lo"], (
            f"Chromium's network namespace holds {interface_names(links)}; only lo was expected")
        assert "UP" in links[0].split(">")[0], f"the loopback is not up: {links[0]}"
        yield chromium
        chromium.close()


class PageLog:
    """What went wrong while a page loaded: console errors, failed requests, and every request
    that left the book (with no network, it fails too; this names it plainly)."""

    def __init__(self):
        self.problems: list[str] = []
        self.pending: dict[int, str] = {}  # requests not finished yet, by id
        self.last_activity = time.monotonic()

    def _started(self, request) -> None:
        self.pending[id(request)] = request.url
        self.last_activity = time.monotonic()
        if not request.url.startswith(INSIDE_THE_BOOK):
            self.problems.append(f"request leaving the book (needs a network): {request.url}")

    def _ended(self, request) -> None:
        self.pending.pop(id(request), None)
        self.last_activity = time.monotonic()

    def _failed(self, request) -> None:
        self._ended(request)
        self.problems.append(f"request failed: {request.url} ({request.failure})")

    def watch(self, page) -> None:
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(
            f"console error: {msg.text} (at {msg.location.get('url', '?')})"))
        page.on("pageerror", lambda error: self.problems.append(f"uncaught script error: {error}"))
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._failed)
        page.on("response", lambda response: response.status >= 400 and self.problems.append(
            f"HTTP {response.status} for {response.url}"))

    def settle(self, page, quiet_s: float = 1.0, timeout_s: float = TIMEOUT_MS / 1000) -> None:
        """Wait until the page has made no request for ``quiet_s`` and none is pending, so that
        late requests (fonts, scripts loaded on demand) are logged too. (Playwright's own
        "networkidle" state never comes for some pages opened from file:// addresses.)"""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.pending and time.monotonic() - self.last_activity >= quiet_s:
                return
            page.wait_for_timeout(100)
        self.problems.append(f"requests still pending after {timeout_s:.0f} s: "
                             f"{sorted(set(self.pending.values()))}")


@pytest.fixture(scope="module")
def context(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
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
    problems = []
    try:
        page.goto(f"{site}{name}.html", wait_until="load")
        problems = check_page(page, name)
        log.settle(page)
    finally:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        try:
            page.evaluate("() => { window.scrollTo(0, 0); document.activeElement?.blur(); }")
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        except Exception as error:  # noqa: BLE001 (a screenshot is for humans, not a check)
            print(f"no screenshot of {name}: {error}")
        page.close()
    problems += log.problems
    assert not problems, (f"page {name}.html (book/{name}.md) has problems:\n  - "
                          + "\n  - ".join(dict.fromkeys(problems)))


def test_next_links_reach_every_chapter(context, site):
    """From the front door, the "next" link at the bottom of each page walks the whole TOC."""
    page = context.new_page()
    try:
        page.goto(f"{site}index.html", wait_until="load")  # it forwards to the root page
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
