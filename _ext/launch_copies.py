"""Sphinx extension: the launch buttons open notebooks without solutions, readable in Jupyter.

sphinx-book-theme builds each page's Binder and Colab links from the repository's branch. With
``launch_branch`` set (``sphinx.config`` in `_config.yml`), this extension

1. points those links at ``launch_branch`` instead (`html-page-context`, after the theme), and
2. writes that branch's files to ``_build/launch`` at the end of a successful build: the labs'
   student versions (nbgrader) and the other notebooks with their MyST roles and directives
   replaced by what the page shows (`rmslab.course.launch`, `rmslab.course.readable`), from
   this build's cross-references, numbers, citations and executed notebooks.

The deploy workflow publishes ``_build/launch`` to that branch; tests/browser/test_launch_buttons.py
checks that every link names a file of that tree and that none holds a solution.
"""

from __future__ import annotations

from pathlib import Path

from pybtex.database import parse_file
from sphinx.application import Sphinx
from sphinx.util import logging

from rmslab.course.launch import write_launch_tree
from rmslab.course.readable import Refs

logger = logging.getLogger(__name__)


def _retarget(buttons, hubs: tuple[str, ...], old: str, new: str) -> None:
    """Point the header buttons' links to ``hubs`` (Binder, Colab) at branch ``new``."""
    for button in buttons:
        _retarget(button.get("buttons", []), hubs, old, new)
        url = button.get("url", "")
        if hubs and url.startswith(hubs):
            url = url.replace(f"/{old}?urlpath=", f"/{new}?urlpath=")  # Binder
            button["url"] = url.replace(f"/blob/{old}/", f"/blob/{new}/")  # Colab


def _launch_links(app: Sphinx, pagename, templatename, context, doctree) -> None:
    new = app.config.launch_branch
    if not new or "header_buttons" not in context:
        return
    options = app.config.html_theme_options
    launch = options.get("launch_buttons", {})
    hubs = tuple(
        launch[k].rstrip("/") + "/" for k in ("binderhub_url", "colab_url") if launch.get(k)
    )
    _retarget(context["header_buttons"], hubs, options.get("repository_branch", "main"), new)


def _authors(entry) -> str:
    names = [
        person.last_names[0] if person.last_names else str(person)
        for person in entry.persons.get("author", [])
    ]
    names = [name.strip("{}") for name in names]
    if len(names) >= 3:
        return f"{names[0]} et al."
    return " and ".join(names) or entry.fields.get("organization", entry.key)


def refs_of_build(app: Sphinx) -> Refs:
    env = app.env
    refs = Refs()
    formats = app.config.numfig_format
    for label, (docname, labelid, title) in env.domaindata["std"]["labels"].items():
        if title:
            refs.titles[label] = title
        for figtype, numbers in env.toc_fignumbers.get(docname, {}).items():
            if labelid in numbers:
                number = ".".join(map(str, numbers[labelid]))
                text = formats.get(figtype, "%s") % number
                refs.numbers[label] = text[:1].upper() + text[1:]
    for label, proof in getattr(env, "proof_list", {}).items():  # sphinx-proof, as it shows them
        kind = proof["realtype"].title()
        numbers = env.toc_fignumbers.get(proof["docname"], {}).get(proof["countertype"], {})
        if not proof["nonumber"] and label in numbers:
            refs.numbers[label] = f"{kind} {'.'.join(map(str, numbers[label]))}"
        else:
            refs.titles.setdefault(label, kind)
    for label, (_doc, number) in env.domaindata.get("math", {}).get("objects", {}).items():
        refs.numbers.setdefault(label, str(number))
    for docname, title in env.titles.items():
        refs.titles.setdefault(docname, title.astext())
    for bib in app.config.bibtex_bibfiles:
        for key, entry in parse_file(Path(app.srcdir) / bib).entries.items():
            refs.citations[key] = (_authors(entry), entry.fields.get("year", "n.d."))
    return refs


def _write_tree(app: Sphinx, exception) -> None:
    if exception is not None or app.builder.name != "html" or not app.config.launch_branch:
        return
    notebooks = sorted(
        f"{doc}.ipynb"
        for doc in app.env.found_docs
        if str(app.env.doc2path(doc)).endswith(".ipynb")
    )
    build, refs = Path(app.outdir).parent, refs_of_build(app)
    written = write_launch_tree(
        build / "launch", notebooks, Path(app.srcdir), build / "jupyter_execute", refs
    )
    for role in refs.unresolved:
        logger.warning("launch copy: no target for %s; its text is shown instead", role)
    print(f"launch tree: {len(written)} notebooks in {build / 'launch'}")


def setup(app: Sphinx) -> dict:
    app.add_config_value("launch_branch", "", "html")
    app.connect("html-page-context", _launch_links, priority=502)  # the theme's run at 501
    app.connect("build-finished", _write_tree)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
