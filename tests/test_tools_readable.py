"""The launch copy of a chapter shows text where the book shows text: no MyST role or directive."""

import nbformat
import pytest
import yaml

from rmslab.course.readable import Refs, glue_values, readable_notebook, role_text
from rmslab.course.student_book import ROOT, student_config

REFS = Refs(
    glue={"steps": {"text/plain": "1234"}, "ratio": {"text/plain": "0.31623"}},
    numbers={"fig-x": "Fig. 3.2", "ex-a": "Exercise 3.1", "eq-rule": "4"},
    titles={"sec-y": "Where eps sits", "chapters/02_momentum": "Momentum"},
    citations={
        "duchi2011adagrad": ("Duchi et al.", "2011"),
        "tieleman2012": ("Tieleman and Hinton", "2012"),
    },
)
PNG = "iVBORw0KGgo="


@pytest.mark.parametrize(
    "role, content, shown",
    [
        ("glue:text", "steps", "1234"),
        ("glue:text", "ratio:.2f", "0.32"),
        ("glue", "steps", "1234"),
        ("cite:t", "duchi2011adagrad", "Duchi et al. (2011)"),
        (
            "cite:p",
            "duchi2011adagrad,tieleman2012",
            "(Duchi et al., 2011; Tieleman and Hinton, 2012)",
        ),
        ("numref", "fig-x", "Fig. 3.2"),
        ("numref", "Figure %s <fig-x>", "Figure 3.2"),
        ("ref", "sec-y", "Where eps sits"),
        ("ref", "the exercise <ex-a>", "the exercise"),
        ("ref", "ex-a", "Exercise 3.1"),
        ("doc", "Chapter 2 <../chapters/02_momentum>", "Chapter 2"),
        ("doc", "../chapters/02_momentum", "Momentum"),
        ("eq", "eq-rule", "(4)"),
    ],
)
def test_each_role_becomes_the_text_the_book_shows(role, content, shown):
    assert role_text(role, content, REFS) == shown


def test_a_role_whose_target_the_build_does_not_know_is_an_error():
    with pytest.raises(KeyError):
        role_text("glue:text", "never_glued", REFS)


def chapter(*markdown):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(m) for m in markdown])


def test_a_chapter_becomes_plain_markdown():
    nb = chapter(
        "(sec-y)=\n## Steps\n\nIt took {glue:text}`steps` steps ({cite:t}`duchi2011adagrad`), "
        "see {numref}`fig-x`.",
        "```{glue:figure} fig_x\n:name: fig-x\n:alt: A plot.\n\nThe caption.\n```",
        "```{exercise}\n:label: ex-a\n\nShow that {glue:text}`ratio:.1f` is small.\n```",
        "```{solution} ex-a\n:class: dropdown\n\nBecause $x < 1$.\n```",
        "````{prf:theorem} Regret\n:label: thm\n\n$$\nR \\le 1\n$$\n````",
        "```{solution-start} ex-a\n:class: dropdown\n```\nA gated answer.",
        "Still gated.\n```{solution-end}\n```\nAfter the solution.",
    )
    nb.cells.insert(6, nbformat.v4.new_code_cell("answer = 42  # inside the gated solution"))
    data = {"image/png": PNG, "text/plain": "<Figure>"}
    refs = Refs(**{**REFS.__dict__, "glue": {**REFS.glue, "fig_x": data}})
    out = readable_notebook(nb, refs)
    text = "\n".join(cell.source for cell in out.cells)
    assert "{" not in text.replace("\\le", "").replace("$$", ""), text
    assert "It took 1234 steps (Duchi et al. (2011)), see Fig. 3.2." in text
    assert "![A plot.](attachment:fig_x.png)\n\n*Fig. 3.2: The caption.*" in text
    assert out.cells[1].attachments == {"fig_x.png": {"image/png": PNG}}
    assert "**Exercise 3.1.** Show that 0.3 is small." in text
    assert "<details><summary>Solution</summary>\n\nBecause $x < 1$.\n\n</details>" in text
    assert "**Theorem (Regret).**" in text and "$$\nR \\le 1\n$$" in text
    assert "gated" not in text and "answer = 42" not in [c.source for c in out.cells][-1]
    assert not any("answer = 42" in c.source for c in out.cells)
    assert out.cells[-1].source == "After the solution."
    assert "(sec-y)=" not in text


def test_a_glued_markdown_table_is_pasted_as_markdown():
    refs = Refs(glue={"tbl": {"text/markdown": "| a |\n|---|\n| 1 |", "text/plain": "x"}})
    out = readable_notebook(chapter("Before.\n\n```{glue:md} tbl\n:format: myst\n```"), refs)
    assert out.cells[0].source == "Before.\n\n| a |\n|---|\n| 1 |"


def test_glue_values_are_read_from_an_executed_notebook():
    glued = nbformat.v4.new_output(
        "display_data", data={"application/papermill.record/text/plain": "7"}
    )
    glued.metadata = {"scrapbook": {"name": "n", "mime_prefix": "application/papermill.record/"}}
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("glue('n', 7)", outputs=[glued])]
    )
    assert glue_values(nb) == {"n": {"text/plain": "7"}}


def test_the_student_book_keeps_the_launch_branch_of_the_public_book():
    """Its lab pages' launch buttons open the same student versions as the public book's."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    student = student_config(config)
    assert student["sphinx"]["config"]["hide_solutions"] is True
    assert (
        student["sphinx"]["config"]["launch_branch"] == config["sphinx"]["config"]["launch_branch"]
    )
    assert student["sphinx"]["local_extensions"]["launch_copies"] == "_ext/"
    assert "hide_solutions" not in config["sphinx"]["config"], "the public config was changed"


def test_a_chapter_with_an_unknown_target_shows_its_text_and_reports_it():
    refs = Refs(**{**REFS.__dict__, "unresolved": []})
    out = readable_notebook(chapter("See {ref}`nowhere` and {glue:text}`steps`."), refs)
    assert out.cells[0].source == "See nowhere and 1234."
    assert refs.unresolved == ["{ref}`nowhere`"]
