"""Interactive figures for the lessons (ipywidgets + matplotlib).

Each figure is a function returning a widget; the widget object also has an ``update(**values)``
method so tests (and the lesson text) can drive it without a browser. Figures update in place:
artists get ``set_data``/``set_ydata``, never a new plot.

Submodules are imported on first use, so ``import lossedu`` stays light.
"""
