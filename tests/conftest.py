import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))  # contract.py, strategies.py

# Deterministic, timing-independent property tests: CI machines are small and shared, so
# example generation may be slow, and a failure must reproduce on the next run.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The JupyterHub end-to-end test (issue 13) is not part of the test command yet: it needs
# `python3 tasks.py hub-setup` (a system-wide environment, Unix users) and has not yet been shown
# reliable. It is not collected at all unless asked for, so the suite reports no skipped test:
#     ANSEDU_HUB_TEST=1 .venv/bin/pytest tests/test_jupyterhub.py      (as root)
collect_ignore = [] if os.environ.get("ANSEDU_HUB_TEST") == "1" else ["test_jupyterhub.py"]
