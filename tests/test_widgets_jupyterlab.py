"""The chapters' widgets, used as a student uses them: in a live JupyterLab with a running kernel.

The static book shows each widget in its saved state only (``test_book_browser.py`` checks
that); here the Python callbacks must run. The test starts one JupyterLab server on a free port of
127.0.0.1 (no token, no browser, HOME and every Jupyter settings folder in a temporary directory,
the kernel of the Python running pytest), converts chapters 1, 3, 5 and 6 to notebooks with
jupytext, and opens each one in headless Chromium (``/usr/bin/chromium``) through Playwright. It
runs all cells with JupyterLab's own "Run All Cells" command, waits for every code cell to finish,
then works each control of the chapter's widget (keyboard on sliders, clicks on buttons, a choice
in a dropdown, numbers typed into boxes) and checks that the widget's output changes the way the
chapter's callback says it should.

Set ``ANSEDU_BOOK_SOURCE`` to read the chapters from another folder (e.g. a scratch copy).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import jupytext
import pytest

from browser_support import CHROMIUM, CHROMIUM_FLAGS, require_chromium

ROOT = Path(__file__).resolve().parent.parent
BOOK = Path(os.environ.get("ANSEDU_BOOK_SOURCE", ROOT / "book")).resolve()
CHAPTERS = ["ch01_information", "ch03_positional", "ch05_ans", "ch06_streaming"]
SERVER_START_S = 60
RUN_ALL_S = 90        # all cells of one chapter, kernel start included
RESPONSE_MS = 20_000  # one callback, from the control to the changed output
TIMEOUT_MS = 30_000
SETUP_HINT = "install the pinned environment (`.venv`, requirements.lock)"

pytestmark = pytest.mark.browser


# -- the JupyterLab server --------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab serving a temporary folder that holds the chapters as notebooks; its URL."""
    tmp = tmp_path_factory.mktemp("jupyterlab")
    notebooks = tmp / "notebooks"
    notebooks.mkdir()
    for chapter in CHAPTERS:
        source = BOOK / f"{chapter}.md"
        if not source.is_file():
            pytest.fail(f"{source} is missing", pytrace=False)
        jupytext.write(jupytext.read(source), notebooks / f"{chapter}.ipynb")

    home, settings = tmp / "home", tmp / "lab-settings"
    # No windowing: every cell stays in the page, so off-screen widgets can be found and used.
    write_json(settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings",
               {"windowingMode": "none"})
    # Offline: never ask whether to fetch news or check for updates.
    write_json(settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
               {"fetchNews": "false", "checkForUpdates": False})
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(tmp / "config"),
           "JUPYTER_DATA_DIR": str(tmp / "data"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(settings),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
           "IPYTHONDIR": str(tmp / "ipython"), "MPLCONFIGDIR": str(tmp / "matplotlib"),
           "PYTHONUNBUFFERED": "1"}
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_TOKEN", None)
    if os.geteuid() == 0:  # containers and CI runners often run as root
        extra = ["--allow-root"]
    else:
        extra = []
    port = free_port()
    log_path = tmp / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.open_browser=False",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--ServerApp.root_dir={notebooks}", "--IdentityProvider.token=",
               "--PasswordIdentityProvider.hashed_password=", "--ServerApp.disable_check_xsrf=True",
               "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               f"--LabApp.user_settings_dir={settings}",
               f"--LabApp.workspaces_dir={tmp / 'workspaces'}", *extra]
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=notebooks, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"

    def server_log() -> str:
        return "\n".join(log_path.read_text().splitlines()[-30:])

    deadline = time.monotonic() + SERVER_START_S
    while True:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {server.returncode} before it served; its log:\n"
                        f"{server_log()}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{url}api/status", timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"JupyterLab did not answer on {url} within {SERVER_START_S} s; its log:\n"
                        f"{server_log()}", pytrace=False)
        time.sleep(0.25)

    yield url

    # Clean shutdown: the server's own API stops the kernels and then itself.
    try:
        urllib.request.urlopen(urllib.request.Request(f"{url}api/shutdown", method="POST"), timeout=10)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        pass
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    shutil.rmtree(tmp, ignore_errors=True)


# -- the browser ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    require_chromium(SETUP_HINT)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


# State of the notebook in the current tab, read through JupyterLab's own objects.
NOTEBOOK_STATE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model || !panel.sessionContext) return {ready: false};
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [...panel.content.model.cells].filter(cell => cell.type === 'code');
  const errors = [];
  cells.forEach((cell, i) => {
    for (let k = 0; k < cell.outputs.length; k++) {
      const output = cell.outputs.get(k).toJSON();
      if (output.output_type === 'error') {
        errors.push(`code cell ${i + 1}: ${output.ename}: ${output.evalue}`);
      }
    }
  });
  return {
    ready: panel.sessionContext.isReady && !!kernel,
    status: kernel ? kernel.status : 'none',
    cells: cells.length,
    done: cells.filter(cell => cell.executionCount !== null).length,
    errors: errors,
  };
}"""


def run_all_cells(page, chapter: str) -> None:
    """Run the whole notebook with JupyterLab's command; return when the kernel is idle again."""
    def state():
        return page.evaluate(NOTEBOOK_STATE)

    deadline = time.monotonic() + SERVER_START_S
    while not ((now := state())["ready"] and now["status"] == "idle"):
        if time.monotonic() > deadline:
            pytest.fail(f"book/{chapter}.md: JupyterLab did not start the notebook's kernel within "
                        f"{SERVER_START_S} s (kernel status: {now.get('status', 'none')})", pytrace=False)
        page.wait_for_timeout(200)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline = time.monotonic() + RUN_ALL_S
    while True:
        now = state()
        if now["errors"]:
            pytest.fail(f"book/{chapter}.md: running all cells in JupyterLab raised an error in "
                        + "; ".join(now["errors"]), pytrace=False)
        if now["cells"] and now["done"] == now["cells"] and now["status"] == "idle":
            return
        if time.monotonic() > deadline:
            pytest.fail(f"book/{chapter}.md: after {RUN_ALL_S} s of Run All Cells, {now['done']} of "
                        f"{now['cells']} code cells have run and the kernel is {now['status']}",
                        pytrace=False)
        page.wait_for_timeout(200)


@pytest.fixture
def notebook(browser, lab, request):
    """A chapter's notebook open in a fresh tab of JupyterLab; yields (page, chapter)."""
    chapter = request.param
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    # Offline: anything that leaves the server is refused (JupyterLab works without it).
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]).*"), lambda route: route.abort())
    page = context.new_page()
    try:
        page.goto(f"{lab}lab/tree/{chapter}.ipynb?reset", wait_until="load")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                               "&& window.jupyterapp.shell.currentWidget.content "
                               "&& window.jupyterapp.shell.currentWidget.content.model",
                               timeout=TIMEOUT_MS)
        yield page, chapter
    finally:
        try:  # stop this chapter's kernel so the next one has both cores
            page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        except Exception:  # noqa: BLE001 (the server shuts every kernel down at the end anyway)
            pass
        context.close()


# -- working the controls ---------------------------------------------------------------------

def widget_area(page, chapter: str, control_text: str):
    """The output area of the cell whose widget shows ``control_text`` (a label or button)."""
    area = page.locator(".jp-OutputArea-output").filter(
        has=page.locator(".jupyter-widgets").filter(has_text=control_text)).last
    try:
        area.wait_for(state="visible", timeout=TIMEOUT_MS)
        found = True
    except Exception:  # noqa: BLE001 (the message is what matters)
        found = False
    if not found:
        pytest.fail(f"book/{chapter}.md: after Run All Cells no widget with {control_text!r} is shown "
                    "in JupyterLab (is the widget manager loaded? did the cell display it?)",
                    pytrace=False)
    area.scroll_into_view_if_needed()
    return area


def slider(area, label: str):
    """The handle of the slider whose description is ``label`` (focusable, keyboard-driven)."""
    box = area.locator(".widget-slider").filter(has=area.page.locator(".widget-label", has_text=label))
    return box.locator(".noUi-handle").first, box.locator(".widget-readout").first


def text_of(locator) -> str:
    return locator.inner_text().strip()


def expect_change(chapter: str, control: str, read, before: str, predicate=None, what: str = "") -> str:
    """Poll ``read()`` until it differs from ``before`` (and satisfies ``predicate``); return it."""
    deadline = time.monotonic() + RESPONSE_MS / 1000
    now = before
    while time.monotonic() < deadline:
        now = read()
        if now != before and (predicate is None or predicate(now)):
            return now
        time.sleep(0.1)
    expected = f" to {what}" if what else ""
    pytest.fail(f"book/{chapter}.md: the widget did not respond to {control}: its output did not change"
                f"{expected} within {RESPONSE_MS // 1000} s.\n  before: {shown(before)}\n"
                f"  after:  {shown(now)}", pytrace=False)


def shown(output: str) -> str:
    """An output for a failure message: text as it is, an image as its size and digest."""
    if output.startswith("data:"):
        digest = hashlib.sha1(output.encode()).hexdigest()[:12]
        return f"{output.split(',')[0]} image, {len(output)} characters, sha1 {digest}"
    return repr(output[:400])


def output_text(area) -> str:
    return area.locator(".widget-output").first.inner_text().strip()


def output_image(area) -> str:
    images = area.locator(".widget-output img")
    return images.first.get_attribute("src") or "" if images.count() else ""


def check_ch01(page, chapter):
    area = widget_area(page, chapter, "weight a")
    entropy = re.compile(r"entropy H\(p\) = ([0-9.]+) bits")
    before = output_text(area)
    assert entropy.search(before), (f"book/{chapter}.md: the widget's output does not print the "
                                    f"entropy after Run All Cells; it shows {before[:300]!r}")
    image = output_image(area)
    # weights 8, 4, 2, 2: one more step of "weight d" (End key: its maximum, 10) changes everything.
    handle, readout = slider(area, "weight d")
    handle.focus()
    handle.press("End")
    after = expect_change(chapter, 'the slider "weight d" (End key)', lambda: output_text(area),
                          before, lambda text: "entropy H(p)" in text,
                          what="new probabilities and entropy")
    weights = [8, 4, 2, float(text_of(readout))]
    probabilities = [w / sum(weights) for w in weights]
    expected = -sum(p * math.log2(p) for p in probabilities)
    printed = float(entropy.search(after).group(1))
    assert abs(printed - expected) < 1e-3, (
        f"book/{chapter}.md: after moving \"weight d\" to {weights[3]} the widget prints H = {printed}, "
        f"but weights {weights} have entropy {expected:.4f}")
    expect_change(chapter, 'the slider "weight d" (figure)', lambda: output_image(area), image,
                  lambda src: src.startswith("data:image/png"), what="a redrawn figure")

    before = output_text(area)
    handle, _ = slider(area, "weight a")
    handle.focus()
    handle.press("ArrowLeft")
    expect_change(chapter, 'the slider "weight a" (ArrowLeft key)', lambda: output_text(area), before,
                  lambda text: "entropy H(p)" in text, what="new probabilities and entropy")


def check_ch03(page, chapter):
    area = widget_area(page, chapter, "Push")
    view = area.locator(".widget-html").last

    def read():
        return text_of(view)

    def state(text):
        match = re.search(r"state \(decimal\)\s*(\d+)", text)
        return int(match.group(1)) if match else None

    before = read()
    start = state(before)
    assert start is not None, f"book/{chapter}.md: the stack widget shows no state: {before[:300]!r}"

    area.get_by_role("button", name="Push").click()
    after = expect_change(chapter, 'the "Push" button', read, before,
                          lambda text: "Pushed 3 in base 10" in text, what='"Pushed 3 in base 10"')
    assert state(after) == start * 10 + 3, (
        f"book/{chapter}.md: pushing 3 in base 10 onto state {start} should give {start * 10 + 3}, "
        f"the widget shows {state(after)}")

    before = after
    area.get_by_role("button", name="Pop").click()
    after = expect_change(chapter, 'the "Pop" button', read, before,
                          lambda text: "Popped 3 in base 10" in text, what='"Popped 3 in base 10"')
    assert state(after) == start, (f"book/{chapter}.md: Pop after Push should restore the state "
                                   f"{start}, the widget shows {state(after)}")

    # New numbers in the "base" and "symbol" boxes, then Push: the callback must read them.
    # The symbol box is bounded by base - 1, and the kernel raises that bound only after it has
    # seen the new base: retype the symbol until the box keeps it, as a person would.
    for label, value in (("base", "16"), ("symbol", "15")):
        box = area.locator(".widget-text").filter(
            has=page.locator(".widget-label", has_text=re.compile(rf"^{label}$"))).locator("input")
        deadline = time.monotonic() + 20
        while True:
            box.fill(value)
            box.press("Enter")
            page.wait_for_timeout(200)
            if box.input_value() == value:
                break
            assert time.monotonic() < deadline, (
                f"book/{chapter}.md: the {label!r} box does not keep {value} (it shows "
                f"{box.input_value()}): its bound was not raised after the base changed")
    before = after
    area.get_by_role("button", name="Push").click()
    after = expect_change(chapter, 'the "base" and "symbol" boxes (16 and 15, then Push)', read,
                          before, lambda text: "Pushed 15 in base 16" in text,
                          what='"Pushed 15 in base 16"')
    assert state(after) == start * 16 + 15, (
        f"book/{chapter}.md: pushing 15 in base 16 onto state {start} should give {start * 16 + 15}, "
        f"the widget shows {state(after)}")


def check_ch05(page, chapter):
    area = widget_area(page, chapter, "precision P")

    def read():
        return output_text(area)

    before = read()
    assert "encode x = 1:" in before and "N = 201" in before, (
        f"book/{chapter}.md: after Run All Cells the widget should show x = 1 and N = 201; it shows "
        f"{before[:300]!r}")
    image = output_image(area)

    area.locator(".widget-toggle-button", has_text="x = 3").click()
    before = expect_change(chapter, 'the "symbol" buttons (x = 3)', read, before,
                           lambda text: "encode x = 3:" in text and "decode:" in text,
                           what='"encode x = 3"')
    expect_change(chapter, 'the "symbol" buttons (figure)', lambda: output_image(area), image,
                  lambda src: src.startswith("data:image/png"), what="a redrawn figure")

    area.locator(".widget-dropdown select").select_option("6")
    before = expect_change(chapter, 'the "precision P" dropdown (6)', read, before,
                           lambda text: "2^P = 64" in text and "decode:" in text, what='"2^P = 64"')

    handle, _ = slider(area, "N before")
    handle.focus()
    handle.press("ArrowRight")
    after = expect_change(chapter, 'the "N before" slider (ArrowRight key)', read, before,
                          lambda text: "N = 202 " in text and "decode:" in text, what='"N = 202"')
    # Decoding puts back the N the step started from.
    assert re.search(r"->\s*202\s*$", after.splitlines()[-1]), (
        f"book/{chapter}.md: decoding should give back N = 202; the widget's last line is "
        f"{after.splitlines()[-1]!r}")


def check_ch06(page, chapter):
    area = widget_area(page, chapter, "step")
    handle, readout = slider(area, "step")
    start = int(text_of(readout))
    image = output_image(area)
    assert image.startswith("data:image/png"), (f"book/{chapter}.md: the streaming widget shows no "
                                                "figure after Run All Cells")
    seen = {image}
    for key, expected in (("Home", 0), ("ArrowRight", 1), ("ArrowRight", 2)):
        handle.focus()
        handle.press(key)
        image = expect_change(chapter, f'the "step" slider ({key} key, to step {expected})',
                              lambda: output_image(area), image,
                              lambda src: src.startswith("data:image/png"), what="a redrawn figure")
        step = int(text_of(readout))
        assert step == expected, (f"book/{chapter}.md: the {key} key should move the \"step\" slider "
                                  f"to {expected}, it shows {step}")
        assert image not in seen, (f"book/{chapter}.md: the \"step\" slider at step {step} shows the "
                                   "same figure as at an earlier step")
        seen.add(image)
    assert start not in (0, 1, 2), f"book/{chapter}.md: the widget should open at a later step, not {start}"


CHECKS = {"ch01_information": check_ch01, "ch03_positional": check_ch03, "ch05_ans": check_ch05,
          "ch06_streaming": check_ch06}


@pytest.mark.parametrize("notebook", CHAPTERS, indirect=True)
def test_widget_responds(notebook):
    page, chapter = notebook
    run_all_cells(page, chapter)
    CHECKS[chapter](page, chapter)
