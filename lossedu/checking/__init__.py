"""The checking machinery: read an answer safely, judge it against a reference, diagnose it.

It builds on the problem data types (:mod:`lossedu.spec`) and never imports the bank
(:mod:`lossedu.problems`), which sits above it; ``lossedu.check`` is the facade.

Modules: ``symbolic`` (the safe parser and the course's symbols), ``budget`` (time limits),
``sampling`` (sample points per region and kink), ``tables`` (reference values on them),
``diagnose`` (mistake catalogue and generic detectors), ``probes`` (far-out and answer-specific
points), ``coerce`` (numbers and arrays from any input), ``values`` (value and choice answers),
``calling`` and ``functions`` (learner functions), ``judge`` (the entry points).
"""
