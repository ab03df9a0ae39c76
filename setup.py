"""Build step that pyproject.toml cannot express: the wheel carries the course notebooks.

``lessons/`` and ``exercises/`` stay the single source at the top of the checkout; a built wheel
holds copies under ``lossedu/_course/`` so ``lossedu start`` works after a plain
``pip install lossedu`` (see ``lossedu/workspace.py``). An editable install reads the checkout.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
COURSE_FOLDERS = ("lessons", "exercises")
COURSE_SUFFIXES = (".ipynb", ".md")


class build_py_with_course(build_py):
    """``build_py`` plus the course notebooks, copied into ``lossedu/_course/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for folder in COURSE_FOLDERS:
            target_dir = Path(self.build_lib) / "lossedu" / "_course" / folder
            self.mkpath(str(target_dir))
            for source in sorted((HERE / folder).iterdir()):
                if source.is_file() and source.suffix in COURSE_SUFFIXES:
                    self.copy_file(str(source), str(target_dir / source.name))


setup(cmdclass={"build_py": build_py_with_course})
