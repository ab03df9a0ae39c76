"""Every one of the seed's 19 concepts is taught in a lesson section and practised in an exercise."""
import json
from pathlib import Path

import pytest

from lossedu import problems
from lossedu.concepts import CONCEPTS, concept_map, exercises_for, lesson_sections

ROOT = Path(__file__).resolve().parent.parent


def test_there_are_nineteen_concepts():
    assert len(CONCEPTS) == 19


@pytest.mark.parametrize("concept", sorted(CONCEPTS))
def test_concept_has_a_lesson_section_and_an_exercise(concept):
    entry = concept_map()[concept]
    assert entry["lessons"], f"no lesson section is tagged with {concept!r}"
    assert entry["exercises"], f"no problem in an exercise set exercises {concept!r}"


def test_mapped_sections_are_real_headings():
    for concept, sections in lesson_sections().items():
        for notebook, heading in sections:
            cells = json.loads((ROOT / "lessons" / notebook).read_text())["cells"]
            headings = {
                "".join(c["source"]).strip().splitlines()[0].lstrip("#").strip()
                for c in cells
                if c["cell_type"] == "markdown" and "".join(c["source"]).strip().startswith("#")
            }
            assert heading in headings, f"{concept}: {notebook} has no heading {heading!r}"


def test_every_problem_names_known_concepts():
    for problem in problems.all_problems():
        assert problem.concepts, f"{problem.id} names no concept"
        unknown = set(problem.concepts) - set(CONCEPTS)
        assert not unknown, f"{problem.id} names unknown concepts {unknown}"


def test_unknown_concept_tag_in_a_lesson_is_an_error(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "source": "## X", "metadata": {"lossedu": {"concepts": ["nope"]}}}]}
    (tmp_path / "01_x.ipynb").write_text(json.dumps(nb))
    with pytest.raises(ValueError, match="unknown concept id 'nope'"):
        lesson_sections(str(tmp_path))


def test_untagged_paragraph_belongs_to_the_heading_above(tmp_path):
    nb = {"cells": [
        {"cell_type": "markdown", "source": "## Hinge loss", "metadata": {}},
        {"cell_type": "markdown", "source": "More text", "metadata": {"lossedu": {"concepts": ["hinge"]}}},
    ]}
    (tmp_path / "03_x.ipynb").write_text(json.dumps(nb))
    assert lesson_sections(str(tmp_path)) == {"hinge": [("03_x.ipynb", "Hinge loss")]}


def test_exercises_for_rejects_unknown_concept():
    with pytest.raises(KeyError, match="unknown concept"):
        exercises_for("cross-entropy-but-misspelt")
