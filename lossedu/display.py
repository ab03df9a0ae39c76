"""Showing text to the learner: rendered Markdown inside IPython, plain text elsewhere."""
from __future__ import annotations

import sys


def in_ipython() -> bool:
    """True when running inside an IPython shell or Jupyter kernel."""
    shell = sys.modules.get("IPython")
    return shell is not None and shell.get_ipython() is not None


def emit(markdown: str) -> None:
    """Show Markdown + LaTeX: rendered in IPython, printed as text elsewhere."""
    if in_ipython():
        from IPython.display import Markdown, display

        display(Markdown(markdown))
    else:
        print(markdown)
