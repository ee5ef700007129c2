"""The Kubernetes configuration (deploy/kubernetes, untested: no cluster here) stays the same as
the tested local hub's (deploy/jupyterhub): the files the local hub writes for the user servers
and the ConfigMap's must agree, but for the exchange's place."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import yaml
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]


def local_hub_files(tmp_path, monkeypatch):
    """Run deploy/jupyterhub/jupyterhub_config.py with its state folder in tmp_path; return the
    files it writes for the user servers, and its config."""
    monkeypatch.setenv("ANSEDU_HUB_STATE", str(tmp_path))
    config = Config()
    runpy.run_path(str(ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"),
                   init_globals={"get_config": lambda: config})
    return {
        "nbgrader_config.py": (tmp_path / "etc" / "nbgrader_config.py").read_text(),
        "jupyter_server_config.json": (tmp_path / "student-config" / "jupyter_server_config.json").read_text(),
        "page_config.json": (tmp_path / "student-config" / "labconfig" / "page_config.json").read_text(),
    }, config


def test_kubernetes_configmap_matches_the_local_hub(tmp_path, monkeypatch):
    local, config = local_hub_files(tmp_path, monkeypatch)
    configmap = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "configmap.yaml").read_text())["data"]
    for name in ("jupyter_server_config.json", "page_config.json"):
        assert json.loads(configmap[name]) == json.loads(local[name]), name
    # the nbgrader settings: the same lines, but for comments and the exchange's folder
    def lines(text):
        return [line for line in text.splitlines()
                if line.strip() and not line.lstrip().startswith("#") and "Exchange.root" not in line]
    assert lines(configmap["nbgrader_config.py"]) == [l.replace("'", '"') for l in lines(local["nbgrader_config.py"])]
    assert 'c.Exchange.root = "/srv/nbgrader/exchange"' in configmap["nbgrader_config.py"]
    assert f"c.Exchange.root = {str(tmp_path / 'exchange')!r}" in local["nbgrader_config.py"]
    # students cannot use the instructor tools, on both
    page = json.loads(local["page_config.json"])
    assert set(page["disabledExtensions"]) == set(page["lockedExtensions"]) >= {
        "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:course-list"}
    assert config.JupyterHub.ip == "127.0.0.1"


def test_the_shared_nbgrader_config_loads_the_instructors_course(tmp_path, monkeypatch):
    """What an instructor's formgrader reads: the course's own nbgrader_config.py (its folders
    and gradebook), through the shared file; a student's server (no ANSEDU_COURSE_ROOT) does not."""
    local, _ = local_hub_files(tmp_path, monkeypatch)
    shared = tmp_path / "etc" / "nbgrader_config.py"
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setenv("ANSEDU_COURSE_ROOT", str(ROOT))
    instructor = PyFileConfigLoader(shared.name, path=str(shared.parent)).load_config()
    assert instructor.CourseDirectory.root == str(ROOT)
    assert instructor.CourseDirectory.source_directory == "solutions"
    assert instructor.Exchange.root == str(tmp_path / "exchange")  # the hub's, not the course's default

    monkeypatch.delenv("ANSEDU_COURSE_ROOT")
    student = PyFileConfigLoader(shared.name, path=str(shared.parent)).load_config()
    assert "root" not in student.CourseDirectory and "source_directory" not in student.CourseDirectory
    assert student.CourseDirectory.course_id == "ansedu"
