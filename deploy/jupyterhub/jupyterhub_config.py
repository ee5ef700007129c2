"""JupyterHub configuration of the ansedu course: one machine, local Unix users, password login.

Start it as root (the hub starts each user's server as that Unix user):

    python3 tasks.py hub-setup      # once: /opt/ansedu-hub and the proxy in node_modules/
    cd /srv/ansedu-hub && /opt/ansedu-hub/bin/jupyterhub -f /path/to/deploy/jupyterhub/jupyterhub_config.py

Settings come from environment variables (defaults in brackets):

    ANSEDU_HUB_STATE        the hub's folder: database, cookie secret, exchange, configuration
                            of the user servers [/srv/ansedu-hub]
    ANSEDU_HUB_ENV          the environment every user server runs in [/opt/ansedu-hub]
    ANSEDU_HUB_IP, _PORT    where the hub listens [127.0.0.1, 8000]; behind a TLS proxy, or
                            with c.JupyterHub.ssl_key/ssl_cert, when students reach it
    ANSEDU_INSTRUCTORS      instructors' user names, comma-separated (they get the formgrader)
    ANSEDU_STUDENTS         students' user names, comma-separated (or leave empty and use the
                            Unix group ANSEDU_STUDENT_GROUP [ansedu-students])
    ANSEDU_COURSE_ID        the nbgrader course id [ansedu]
    ANSEDU_COURSE_DIR       where each instructor's course directory (their clone of the
                            repository) is, relative to their home [ansedu]; their formgrader
                            reads its nbgrader_config.py and gradebook

Who may log in: the listed users and the members of the student group, with their Unix
password (PAM). Instructors get every nbgrader tool. Students' servers run with
JUPYTER_CONFIG_DIR set to a folder only root can change (STATE/student-config): there the
formgrader's and course list's server extensions and the instructor lab extensions are
disabled and locked, and students' own ~/.jupyter is not read, so they cannot turn them back on.
Their settings and workspaces stay in their home folder. The exchange (STATE/exchange) is
world-writable with the sticky bit, as nbgrader needs.
"""

import grp
import json
import os
from pathlib import Path

c = get_config()  # noqa: F821 (provided by traitlets)

HERE = Path(__file__).resolve().parent
STATE = Path(os.environ.get("ANSEDU_HUB_STATE", "/srv/ansedu-hub"))
ENV = Path(os.environ.get("ANSEDU_HUB_ENV", "/opt/ansedu-hub"))
COURSE_ID = os.environ.get("ANSEDU_COURSE_ID", "ansedu")
STUDENT_GROUP = os.environ.get("ANSEDU_STUDENT_GROUP", "ansedu-students")
COURSE_DIR = os.environ.get("ANSEDU_COURSE_DIR", "ansedu")


def names(variable):
    return {n.strip() for n in os.environ.get(variable, "").split(",") if n.strip()}


INSTRUCTORS = names("ANSEDU_INSTRUCTORS")
STUDENTS = names("ANSEDU_STUDENTS")

# What students may not use: the instructor's lab extensions and the server extensions behind
# them (the formgrader would otherwise answer at /user/<student>/formgrader).
# And what only distracts students: JupyterLab's prompt to fetch Jupyter news from the internet.
QUIET_LAB_EXTENSIONS = ["@jupyterlab/apputils-extension:announcements"]
INSTRUCTOR_LAB_EXTENSIONS = [
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
]
INSTRUCTOR_SERVER_EXTENSIONS = [
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
]

# -- the folders the user servers read (written at every start, owned by root) ---------------
STATE.mkdir(parents=True, exist_ok=True)
STATE.chmod(0o755)
EXCHANGE = STATE / "exchange"
EXCHANGE.mkdir(exist_ok=True)
EXCHANGE.chmod(0o1777)  # everyone may add; only the owner may change or remove (sticky bit)
SHARED_CONFIG = STATE / "etc"  # nbgrader settings for everyone (on JUPYTER_CONFIG_PATH)
STUDENT_CONFIG = STATE / "student-config"  # JUPYTER_CONFIG_DIR of students' servers
for folder in (SHARED_CONFIG, STUDENT_CONFIG, STUDENT_CONFIG / "labconfig"):
    folder.mkdir(exist_ok=True)
    folder.chmod(0o755)


def write(path, text):
    path.write_text(text)
    path.chmod(0o644)


write(SHARED_CONFIG / "nbgrader_config.py",
      "# written by deploy/jupyterhub/jupyterhub_config.py at every start of the hub\n"
      "c = get_config()\n"
      f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
      "# instructors' servers: the formgrader works on the course directory (its folders, gradebook)\n"
      "import os\n"
      "course = os.environ.get('ANSEDU_COURSE_ROOT', '')\n"
      "if course and os.path.isfile(os.path.join(course, 'nbgrader_config.py')):\n"
      "    load_subconfig(os.path.join(course, 'nbgrader_config.py'))\n"
      f"c.Exchange.root = {str(EXCHANGE)!r}\n")
write(STUDENT_CONFIG / "jupyter_server_config.json", json.dumps(
    {"ServerApp": {"jpserver_extensions": {name: False for name in INSTRUCTOR_SERVER_EXTENSIONS}}},
    indent=2))
write(STUDENT_CONFIG / "labconfig" / "page_config.json", json.dumps(
    {"disabledExtensions": {name: True for name in INSTRUCTOR_LAB_EXTENSIONS + QUIET_LAB_EXTENSIONS},
     "lockedExtensions": {name: True for name in INSTRUCTOR_LAB_EXTENSIONS + QUIET_LAB_EXTENSIONS}}, indent=2))

# -- the hub --------------------------------------------------------------------------------
c.JupyterHub.ip = os.environ.get("ANSEDU_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("ANSEDU_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("ANSEDU_HUB_API_PORT", str(c.JupyterHub.port + 1)))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{c.JupyterHub.port + 2}"
c.ConfigurableHTTPProxy.command = [str(HERE / "node_modules" / ".bin" / "configurable-http-proxy")]
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True

c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = INSTRUCTORS | STUDENTS
c.LocalAuthenticator.allowed_groups = {STUDENT_GROUP} if STUDENT_GROUP else set()
c.Authenticator.admin_users = set()  # instructors need no hub admin rights for nbgrader
c.PAMAuthenticator.open_sessions = False  # no systemd-logind session per login

# -- the user servers -----------------------------------------------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(ENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60


def is_student(name):
    if name in INSTRUCTORS:
        return False
    if name in STUDENTS:
        return True
    try:
        return name in grp.getgrnam(STUDENT_GROUP).gr_mem
    except KeyError:
        return True  # not an instructor: never the instructor's tools


def per_user_environment(spawner):
    """What the hub sets for each server: the environment's bin first on PATH, the shared
    nbgrader settings, and for students the locked configuration folder."""
    home = os.path.expanduser(f"~{spawner.user.name}")
    env = {
        "PATH": f"{ENV / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "JUPYTER_CONFIG_PATH": str(SHARED_CONFIG),
        # a virtual environment would otherwise rank its own settings above JUPYTER_CONFIG_DIR
        "JUPYTER_PREFER_ENV_PATH": "0",
        "ANSEDU_ROLE": "instructor" if spawner.user.name in INSTRUCTORS else "student",
    }
    if spawner.user.name in INSTRUCTORS:
        env["ANSEDU_COURSE_ROOT"] = os.path.join(home, COURSE_DIR)
    if is_student(spawner.user.name):
        env.update({
            "JUPYTER_CONFIG_DIR": str(STUDENT_CONFIG),
            "JUPYTERLAB_SETTINGS_DIR": f"{home}/.jupyter/lab/user-settings",
            "JUPYTERLAB_WORKSPACES_DIR": f"{home}/.jupyter/lab/workspaces",
        })
    spawner.environment.update(env)


c.Spawner.pre_spawn_hook = per_user_environment

# -- optional: a service for scripts (tests, course tools) --------------------------------------
# With ANSEDU_HUB_SERVICE_TOKEN set, a service "ansedu-admin" holding that token may start and
# stop servers, make tokens for users and use their servers (tests/test_jupyterhub.py does).
if os.environ.get("ANSEDU_HUB_SERVICE_TOKEN"):
    c.JupyterHub.services = [{"name": "ansedu-admin",
                              "api_token": os.environ["ANSEDU_HUB_SERVICE_TOKEN"]}]
    c.JupyterHub.load_roles = [{"name": "ansedu-admin", "services": ["ansedu-admin"],
                                "scopes": ["admin:users", "admin:servers", "tokens",
                                           "access:servers"]}]
