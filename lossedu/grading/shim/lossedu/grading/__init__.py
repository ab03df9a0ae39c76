"""Inside the grading sandbox only :mod:`lossedu.grading.forms` exists (capture-only)."""
