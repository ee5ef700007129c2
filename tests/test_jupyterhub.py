"""The course on a real JupyterHub (deploy/jupyterhub), one whole assignment, end to end.

Runs as root (it creates Unix users and starts the hub, which starts each user's server as that
user), after ``python3 tasks.py hub-setup`` (the environment /opt/ansedu-hub and the proxy):
``python3 tasks.py hub-test`` does both, and ``python3 tasks.py test`` runs that beside the other
tests. Collected only with ANSEDU_HUB_TEST=1 (tests/conftest.py), which hub-test sets.

The hub listens on 127.0.0.1 only. One instructor and three students are made as Unix users
with a unique prefix and a password; the instructor's course directory is a copy of this
repository in their home; every home folder is private (0700). The instructor releases
ps1_information_huffman; each student gets the chapters by cloning the student edition; student
1 logs in with the password in headless Chromium, fetches and submits in the Assignments tab;
students 2 and 3 fetch and submit through their servers' REST API (student 2 with the
solution's code filled in, student 3 unchanged). The instructor collects, autogrades, makes and
releases feedback; the students fetch it; the grades are exported. Students cannot read the
solutions, the gradebook or a classmate's work, nor open the formgrader. Every process is stopped
and every account removed, also when the test fails.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import tasks  # noqa: E402

from browser_support import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402

CONFIG = ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"
ENV = tasks.HUB_ENV
ASSIGNMENT = "ps1_information_huffman"
SCREENSHOTS = tasks.HUB_OUTPUT  # (`tasks.py test` writes the log to _build/logs/hub-test.log)



def free_port() -> int:
    """A port p with p, p+1 and p+2 free (proxy, hub, proxy API)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 2 < 65536 and all(_free(p) for p in (port, port + 1, port + 2)):
            return port
    raise RuntimeError("no three free ports in a row")


def _free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def sh(*args, check=True, **kwargs):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


class Hub:
    def __init__(self, tmp):
        self.prefix = "ah" + secrets.token_hex(3)
        self.instructor = f"{self.prefix}i"
        self.students = [f"{self.prefix}s{k}" for k in (1, 2, 3)]
        self.passwords = {u: secrets.token_urlsafe(12) for u in [self.instructor, *self.students]}
        self.state = Path(f"/srv/ansedu-hub-test-{self.prefix}")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(32)
        self.process = None
        self.log = tmp / "hub.log"
        self.made_users = []

    def env(self):
        return {**os.environ, "ANSEDU_HUB_STATE": str(self.state), "ANSEDU_HUB_ENV": str(ENV),
                "ANSEDU_HUB_PORT": str(self.port), "ANSEDU_INSTRUCTORS": self.instructor,
                "ANSEDU_STUDENTS": ",".join(self.students), "ANSEDU_STUDENT_GROUP": "",
                "ANSEDU_HUB_SERVICE_TOKEN": self.token}

    def as_user(self, user, *args, cwd=None, check=True):
        """Run a command as `user`, with the environment the hub gives their server."""
        home = pwd.getpwnam(user).pw_dir
        env = ["env", "-i", f"HOME={home}", f"USER={user}", f"PATH={ENV}/bin:/usr/bin:/bin",
               f"JUPYTER_CONFIG_PATH={self.state}/etc", "JUPYTER_PREFER_ENV_PATH=0"]
        return sh("runuser", "-u", user, "--", *env, "sh", "-c",
                  f"cd {cwd or home} && exec \"$@\"", "sh", *args, check=check)

    def api(self, method, path, token=None, **kwargs):
        headers = {"Authorization": f"token {token or self.token}"}
        return requests.request(method, self.url + path, headers=headers, timeout=60, **kwargs)


@pytest.fixture
def hub(tmp_path):
    assert os.geteuid() == 0, "the JupyterHub test creates Unix users: run it as root (tasks.py hub-test)"
    h = Hub(tmp_path)
    try:
        for user in [h.instructor, *h.students]:
            sh("useradd", "--create-home", "--shell", "/bin/bash", user)
            h.made_users.append(user)
            sh("chpasswd", input=f"{user}:{h.passwords[user]}\n")
            os.chmod(pwd.getpwnam(user).pw_dir, 0o700)
        log = h.log.open("w")
        h.process = subprocess.Popen(
            [ENV / "bin" / "jupyterhub", "-f", CONFIG], cwd=tmp_path, env=h.env(),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            assert h.process.poll() is None, f"the hub stopped:\n{h.log.read_text()[-3000:]}"
            try:
                if h.api("GET", "/hub/api/").status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError(f"the hub did not start:\n{h.log.read_text()[-3000:]}")
        yield h
    finally:
        if h.process is not None:
            for user in [h.instructor, *h.students]:
                try:
                    h.api("DELETE", f"/hub/api/users/{user}/server")
                except requests.RequestException:
                    pass
            os.killpg(h.process.pid, 15)
            try:
                h.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(h.process.pid, 9)
                h.process.wait()
        for user in h.made_users:
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)  # by user id
            time.sleep(0.2)
            subprocess.run(["userdel", "--remove", user], capture_output=True)
        shutil.rmtree(h.state, ignore_errors=True)
        leftover = [u for u in h.made_users if _exists(u)]
        assert not leftover, f"accounts not removed: {leftover}"


def _exists(user):
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False


def start_server(hub, user):
    response = hub.api("POST", f"/hub/api/users/{user}/server")
    assert response.status_code in (201, 202), response.text
    deadline = time.time() + 90
    while time.time() < deadline:
        model = hub.api("GET", f"/hub/api/users/{user}").json()
        server = model.get("servers", {}).get("", {})
        if server.get("ready"):
            return
        time.sleep(0.5)
    raise AssertionError(f"the server of {user} did not start:\n{hub.log.read_text()[-3000:]}")


def user_token(hub, user):
    response = hub.api("POST", f"/hub/api/users/{user}/tokens", json={"note": "test"})
    assert response.status_code == 201, response.text
    return response.json()["token"]


def solve(student_nb: dict, source: Path) -> dict:
    """The student's notebook with every solution cell's code taken from the source (without
    the solution markers), as a student who solved it would hand it in."""
    # (the markers put together here, so that this file, which the student edition holds,
    # does not contain them)
    markers = {f"### {edge} SOLUTION" for edge in ("BEGIN", "END")}
    answers = {}
    for cell in nbformat.read(source, as_version=4).cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            answers[grade_id] = "\n".join(
                line for line in cell.source.splitlines() if line.strip() not in markers)
    for cell in student_nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    return student_nb


def test_a_whole_assignment_on_the_hub(hub):
    timings = {}
    t0 = time.time()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    course = Path(pwd.getpwnam(hub.instructor).pw_dir) / "ansedu"  # the guide's (and the hub's default) place

    # The instructor's course directory: this repository's tracked files, private.
    files = sh("git", "-C", ROOT, "ls-files", "-z").stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (course / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, course / name)
    sh("chown", "-R", f"{hub.instructor}:{hub.instructor}", course)
    sh("chmod", "-R", "go-rwx", course)
    print("course copied after", round(time.time() - t0, 1), "s", flush=True)
    hub.as_user(hub.instructor, "nbgrader", "generate_assignment", ASSIGNMENT, "--force", cwd=course)
    hub.as_user(hub.instructor, "nbgrader", "release_assignment", ASSIGNMENT, "--force", cwd=course)
    roster = course / "hub_roster.csv"
    roster.write_text("id,first_name,last_name\n" + "".join(
        f"{s},Student,{k}\n" for k, s in enumerate(hub.students, 1)))
    shutil.chown(roster, hub.instructor, hub.instructor)
    hub.as_user(hub.instructor, "nbgrader", "db", "student", "import", roster, cwd=course)
    timings["release"] = time.time() - t0
    print("released after", round(timings["release"], 1), "s", flush=True)

    # The chapters: the student edition, cloned into each student's home.
    edition = hub.state / "student-edition"
    tasks.export_student_edition(edition)
    sh("chmod", "-R", "a+rX", edition)
    for student in hub.students:
        # (from a folder root owns, which git only reads when told to; from a web address, as
        # students do, this is not needed)
        hub.as_user(student, "git", "config", "--global", "--add", "safe.directory", f"{edition}/.git")
        hub.as_user(student, "git", "clone", "--quiet", edition, "ansedu")
        home = Path(pwd.getpwnam(student).pw_dir)
        assert (home / "ansedu" / "book" / "intro.md").exists() or any(
            (home / "ansedu" / "book").glob("*.md"))
        assert not (home / "ansedu" / "solutions").exists()

    # Students 2 and 3: through their servers' REST API, with their own tokens.
    tokens = {}
    for student in hub.students[1:]:
        t = time.time()
        start_server(hub, student)
        timings.setdefault("server start", []).append(round(time.time() - t, 1))
        tokens[student] = user_token(hub, student)
        base = f"/user/{student}"
        listing = hub.api("GET", f"{base}/assignments?course_id=ansedu", token=tokens[student])
        assert listing.status_code == 200, listing.text
        released = [a for a in listing.json()["value"] if a["status"] == "released"]
        assert [a["assignment_id"] for a in released] == [ASSIGNMENT]
        fetched = hub.api("POST", f"{base}/assignments/fetch", token=tokens[student],
                          data={"course_id": "ansedu", "assignment_id": ASSIGNMENT})
        assert fetched.status_code == 200 and fetched.json()["success"], fetched.text
        path = f"{base}/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
        model = hub.api("GET", path, token=tokens[student]).json()
        if student == hub.students[1]:
            model["content"] = solve(model["content"], course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
            saved = hub.api("PUT", path, token=tokens[student],
                            json={"type": "notebook", "content": model["content"]})
            assert saved.status_code == 200, saved.text
        submitted = hub.api("POST", f"{base}/assignments/submit", token=tokens[student],
                            data={"course_id": "ansedu", "assignment_id": ASSIGNMENT})
        assert submitted.status_code == 200 and submitted.json()["success"], submitted.text
        # No instructor tools for students: the lab page disables and locks them ...
        lab = hub.api("GET", f"{base}/lab", token=tokens[student])
        assert lab.status_code == 200
        config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', lab.text,
                                      re.DOTALL).group(1))
        for extension in ("formgrader", "create-assignment", "course-list"):
            name = f"@jupyter/nbgrader:{extension}"
            for key in ("disabledExtensions", "lockedExtensions"):
                listed = config.get(key, [])  # a list of names, or names mapped to true
                assert (listed.get(name) is True if isinstance(listed, dict) else name in listed), (
                    key, name, listed)
        # ... and their server extensions do not answer.
        for tool in ("formgrader", "formgrader/api/assignments", "formgraders"):
            answer = hub.api("GET", f"{base}/{tool}", token=tokens[student], allow_redirects=False)
            assert answer.status_code != 200, (tool, answer.status_code)
    timings["api students"] = time.time() - t0

    # Everything the hub started listens on the loopback only: the proxy, the hub and its API
    # (three ports from hub.port on), and the students' servers (sockets of their Unix users).
    uids = {str(pwd.getpwnam(u).pw_uid) for u in hub.students[1:]}
    listening = sh("ss", "-ltnpeH").stdout.splitlines()
    ours = [line for line in listening
            if any(line.split()[3].endswith(f":{p}") for p in range(hub.port, hub.port + 3))
            or any(f"uid:{uid} " in line for uid in uids)]
    assert len(ours) >= 3 + len(uids), listening
    assert all(line.split()[3].startswith("127.0.0.1:") for line in ours), ours

    # Student 1: password login in headless Chromium, the Assignments tab.
    from playwright.sync_api import sync_playwright
    s1 = hub.students[0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(60_000)
            page.goto(f"{hub.url}/hub/login")
            page.fill("#username_input", s1)
            page.fill("#password_input", hub.passwords[s1])
            page.click("#login_submit")
            page.wait_for_url(f"**/user/{s1}/lab**", timeout=90_000)
            page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
            page.locator(".jp-DirListing-item", has_text="ansedu").wait_for(timeout=60_000)  # the chapters
            page.wait_for_timeout(3000)  # (JupyterLab's news prompt, where it is on, shows by now)
            assert page.get_by_text("get notified about official Jupyter news").count() == 0
            page.screenshot(path=SCREENSHOTS / "student-lab-start.png")
            # The Assignments tab: menu Nbgrader > Assignment List.
            page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
            items = page.locator(".lm-Menu-itemLabel")
            items.first.wait_for()
            page.screenshot(path=SCREENSHOTS / "student-nbgrader-menu.png")
            labels = {t.strip() for t in items.all_inner_texts()}
            assert "Assignment List" in labels and not labels & {"Formgrader", "Create Assignment", "Course List"}, labels
            page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
            fetch = page.locator("#released_assignments_list button", has_text="Fetch")
            fetch.wait_for(timeout=60_000)
            page.screenshot(path=SCREENSHOTS / "student-assignments-released.png")
            fetch.click()
            submit = page.locator("#fetched_assignments_list button", has_text="Submit")
            submit.first.wait_for(timeout=60_000)
            submit.first.click()
            page.locator("#submitted_assignments_list", has_text=ASSIGNMENT).wait_for(timeout=60_000)
            page.screenshot(path=SCREENSHOTS / "student-assignments-submitted.png")
            response = page.goto(f"{hub.url}/user/{s1}/formgrader")
            assert response.status != 200
        except BaseException:
            page.screenshot(path=SCREENSHOTS / "student-failure.png")
            raise
        finally:
            browser.close()
    timings["browser student"] = time.time() - t0

    # The instructor: collect, autograde, feedback; the formgrader answers them.
    start_server(hub, hub.instructor)
    itoken = user_token(hub, hub.instructor)
    formgrader = hub.api("GET", f"/user/{hub.instructor}/formgrader", token=itoken)
    assert formgrader.status_code == 200, formgrader.status_code
    for step in (["collect", ASSIGNMENT], ["autograde", ASSIGNMENT, "--force"],
                 ["generate_feedback", ASSIGNMENT, "--force"], ["release_feedback", ASSIGNMENT]):
        hub.as_user(hub.instructor, "nbgrader", *step, cwd=course)
    # The formgrader works on the course directory: it lists the assignment from solutions/ and
    # the three graded submissions from the gradebook the commands above wrote.
    assignments = hub.api("GET", f"/user/{hub.instructor}/formgrader/api/assignments", token=itoken)
    assert assignments.status_code == 200, assignments.text
    assert ASSIGNMENT in {a["name"] for a in assignments.json()}, assignments.text
    graded = hub.api("GET", f"/user/{hub.instructor}/formgrader/api/submissions/{ASSIGNMENT}", token=itoken)
    assert graded.status_code == 200, graded.text
    scores = {g["student"]: g["score"] for g in graded.json() if g.get("autograded")}
    assert set(scores) == set(hub.students), graded.text
    assert not (course.parent / "gradebook.db").exists(), "the formgrader made a gradebook outside the course"
    hub.as_user(hub.instructor, "nbgrader", "export", "--to", "grades.csv", cwd=course)
    timings["grading"] = time.time() - t0

    # What the instructor sees (password login, as the students).
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(60_000)
            page.goto(f"{hub.url}/hub/login")
            page.fill("#username_input", hub.instructor)
            page.fill("#password_input", hub.passwords[hub.instructor])
            page.click("#login_submit")
            page.wait_for_url(f"**/user/{hub.instructor}/lab**", timeout=90_000)
            page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
            page.locator(".jp-DirListing-item", has_text="ansedu").wait_for(timeout=60_000)  # the course
            page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
            items = page.locator(".lm-Menu-itemLabel")
            items.first.wait_for()
            page.screenshot(path=SCREENSHOTS / "instructor-nbgrader-menu.png")
            labels = {t.strip() for t in items.all_inner_texts()}
            assert {"Assignment List", "Formgrader"} <= labels, labels
            response = page.goto(f"{hub.url}/user/{hub.instructor}/formgrader/gradebook/{ASSIGNMENT}")
            assert response.status == 200
            page.locator("td", has_text=ASSIGNMENT).first.wait_for(timeout=60_000)  # the graded notebook
            page.screenshot(path=SCREENSHOTS / "instructor-formgrader.png")
            page.goto(f"{hub.url}/user/{hub.instructor}/formgrader/manage_submissions/{ASSIGNMENT}")
            page.locator("td", has_text=hub.students[1]).first.wait_for(timeout=60_000)
            page.screenshot(path=SCREENSHOTS / "instructor-submissions.png")
        finally:
            browser.close()
    timings["instructor browser"] = time.time() - t0

    # Students fetch their feedback.
    for student in hub.students[1:]:
        fetched = hub.api("POST", f"/user/{student}/assignments/fetch_feedback", token=tokens[student],
                          data={"course_id": "ansedu", "assignment_id": ASSIGNMENT})
        assert fetched.status_code == 200 and fetched.json()["success"], fetched.text
        home = Path(pwd.getpwnam(student).pw_dir)
        feedback = list((home / ASSIGNMENT / "feedback").rglob("*.html"))
        assert feedback, f"no feedback for {student}"

    # The grades: the solved hand-in scores full marks, the unchanged one less, student 1's
    # (fetched and submitted unchanged in the browser) the same as student 3's.
    import csv
    rows = {r["student_id"]: r for r in csv.DictReader((course / "grades.csv").open())}
    s2, s3 = hub.students[1], hub.students[2]
    assert float(rows[s2]["score"]) == float(rows[s2]["max_score"]) > 0, rows[s2]
    assert float(rows[s3]["score"]) < float(rows[s2]["score"]), rows[s3]
    assert float(rows[s1]["score"]) == float(rows[s3]["score"]), rows[s1]

    # What students cannot read: the solutions, the gradebook, a classmate's work, the inbox.
    exchange = hub.state / "exchange" / "ansedu"
    for target in (course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                   course / "gradebook.db",
                   Path(pwd.getpwnam(s2).pw_dir) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"):
        assert target.exists(), target
        denied = hub.as_user(s3, "cat", target, check=False)
        assert denied.returncode != 0 and "Permission denied" in denied.stderr, target
    listing = hub.as_user(s3, "ls", exchange / "inbound", check=False)
    assert listing.returncode != 0, listing.stdout
    others = hub.as_user(s3, "ls", exchange / "feedback", check=False)
    assert others.returncode != 0 or s2 not in others.stdout
    timings["total"] = time.time() - t0
    print("timings (s since the start of the test):",
          {k: (round(v, 1) if isinstance(v, float) else v) for k, v in timings.items()})
