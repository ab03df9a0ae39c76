"""Test-wide environment: every test and every notebook kernel uses a throw-away progress store,
a fixed learner id and the CI course configuration (gates lifted). A developer's own progress is
never touched."""
import os
import tempfile

_HOME = tempfile.mkdtemp(prefix="lossedu-test-home-")


def pytest_configure(config):
    from lossedu.authoring import notebook_environment

    os.environ.update(notebook_environment(_HOME))
