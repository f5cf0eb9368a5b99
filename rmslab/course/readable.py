"""A chapter's MyST markdown turned into the plain markdown JupyterLab and Colab render.

The book's pages are MyST: roles such as `{glue:text}`, `{cite:t}` or `{numref}` and directives
such as `{exercise}` or `{glue:figure}` that only Sphinx resolves. Opened in JupyterLab or Colab,
the notebook would show them as raw text. `readable_notebook` writes a copy for the launch buttons
in which each is replaced by what the book shows: glued values from the executed notebook,
"Duchi et al. (2011)", "Fig. 3.2", section titles; glued figures become cell attachments;
solutions become collapsed `<details>` blocks, and gated solutions (which span code cells) are
cut, as in the student book. The references come from the Sphinx build (`Refs`).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

import nbformat

from rmslab.course.student_book import without_gated_solutions

ROLE = re.compile(r"\{([a-z][\w:-]*)\}`([^`]*)`")
EXPLICIT = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)
FENCE = re.compile(r"^(`{3,}|:{3,})\{([\w:-]+)\}[ \t]*(.*)$")
OPTION = re.compile(r"^:([\w-]+):\s*(.*)$")
TITLES = {"prf:theorem": "Theorem", "prf:algorithm": "Algorithm", "prf:lemma": "Lemma"}


@dataclass
class Refs:
    """What the build knows: glue values, numbers and titles of labels, citations."""

    glue: dict[str, dict] = field(default_factory=dict)  # name -> output data (mime -> value)
    numbers: dict[str, str] = field(default_factory=dict)  # label -> "Fig. 3.2"
    titles: dict[str, str] = field(default_factory=dict)  # label or docname -> title
    citations: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (authors, year)
    unresolved: list[str] = field(default_factory=list)  # roles left as their text, to report


def glue_text(data: dict, fmt: str) -> str:
    """A glued value as `{glue:text}` shows it: text/plain, formatted with ``fmt`` if given."""
    text = data["text/plain"]
    if not fmt:
        return text.strip("'\"")
    return format(ast.literal_eval(text), fmt)


def cite(keys: str, refs: Refs, textual: bool) -> str:
    found = [refs.citations[key.strip()] for key in keys.split(",")]
    if textual:
        return "; ".join(f"{authors} ({year})" for authors, year in found)
    return "(" + "; ".join(f"{authors}, {year}" for authors, year in found) + ")"


def role_text(role: str, content: str, refs: Refs) -> str:
    """The text the book shows for one role; KeyError if the build does not know its target."""
    explicit = EXPLICIT.match(content)
    text, target = (explicit.group(1), explicit.group(2)) if explicit else ("", content)
    if role in ("glue", "glue:", "glue:text"):
        name, _, fmt = content.partition(":")
        return glue_text(refs.glue[name], fmt)
    if role == "glue:md":
        return refs.glue[content]["text/markdown"]
    if role in ("cite", "cite:p", "cite:t"):
        return cite(content, refs, textual=role == "cite:t")
    if role == "numref":
        number = refs.numbers[target]
        return text.replace("%s", number.split()[-1]) if text else number
    if role == "eq":
        return f"({refs.numbers[target]})"
    if role in ("ref", "prf:ref"):
        return text or refs.numbers.get(target) or refs.titles[target]
    if role == "doc":
        return text or refs.titles[target.removeprefix("../").removesuffix(".ipynb")]
    return content  # a role with no meaning outside the book (e.g. {term}): its text


def replace_roles(markdown: str, refs: Refs) -> str:
    """Every role replaced by its text; one whose target is unknown becomes its bare content
    and is listed in ``refs.unresolved`` (the book build warns about it too)."""

    def text(match: re.Match) -> str:
        try:
            return role_text(match.group(1), match.group(2), refs)
        except KeyError:
            refs.unresolved.append(match.group(0))
            return match.group(2)

    return ROLE.sub(text, markdown)


def directive_block(name: str, argument: str, options: dict, body: str, cell, refs: Refs) -> str:
    """Plain markdown for one directive; glued figures are attached to ``cell``."""
    if name == "glue:figure":
        data = refs.glue[argument]
        number = refs.numbers.get(options.get("name", ""), "")
        caption = f"*{number}: {body.strip()}*" if number else f"*{body.strip()}*"
        if "image/png" not in data:  # not drawn as an image: the code cell shows it when run
            return caption
        attachment = f"{argument}.png"
        cell.setdefault("attachments", {})[attachment] = {"image/png": data["image/png"]}
        alt = options.get("alt", argument).replace("\n", " ")
        return f"![{alt}](attachment:{attachment})\n\n{caption}"
    if name in ("glue", "glue:", "glue:any", "glue:md"):
        data = refs.glue[argument]
        if "text/markdown" in data:
            return data["text/markdown"]
        if "image/png" in data:
            cell.setdefault("attachments", {})[f"{argument}.png"] = {"image/png": data["image/png"]}
            return f"![{argument}](attachment:{argument}.png)"
        return data["text/plain"]
    if name == "solution":
        return f"<details><summary>Solution</summary>\n\n{body.strip()}\n\n</details>"
    if name == "exercise":
        number = refs.numbers.get(options.get("label", ""), "Exercise")
        return f"**{number}.** {body.strip()}"
    if name in TITLES or name.startswith("prf:"):
        kind = TITLES.get(name, name.removeprefix("prf:").capitalize())
        number = refs.numbers.get(options.get("label", ""), kind)
        title = f" ({argument})" if argument else ""
        if name == "prf:proof":
            return f"*Proof.* {body.strip()}"
        return f"**{number}{title}.** {body.strip()}"
    if name == "math":
        return f"$$\n{body.strip()}\n$$"
    title = argument or name.capitalize()
    if options.get("class") == "dropdown" or name == "dropdown":
        return f"<details><summary>{title}</summary>\n\n{body.strip()}\n\n</details>"
    return f"**{title}.** {body.strip()}"


def replace_directives(markdown: str, refs: Refs, cell) -> str:
    """Every fenced directive, outermost first, replaced by `directive_block` (bodies recursed)."""
    lines, out, i = markdown.split("\n"), [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            out.append(lines[i])
            i += 1
            continue
        fence, name, argument = opening.groups()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence), len(lines))
        body_lines, options = lines[i + 1 : end], {}
        while body_lines and OPTION.match(body_lines[0]):
            key, value = OPTION.match(body_lines.pop(0)).groups()
            options[key] = value
        body = replace_directives("\n".join(body_lines), refs, cell)
        out.append(directive_block(name, argument.strip(), options, body, cell, refs))
        i = end + 1
    return "\n".join(out)


def readable_markdown(markdown: str, refs: Refs, cell) -> str:
    markdown = re.sub(r"^\([\w:-]+\)=[ \t]*\n", "", markdown, flags=re.M)  # target labels
    markdown = re.sub(r"\$\$[ \t]*\([\w:-]+\)", "$$", markdown)  # equation labels
    return replace_roles(replace_directives(markdown, refs, cell), refs)


def readable_notebook(nb, refs: Refs):
    """A copy of ``nb`` whose markdown cells JupyterLab and Colab render as the book does."""
    nb = without_gated_solutions(nbformat.from_dict(nb))
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = readable_markdown(cell.source, refs, cell)
    return nb


def glue_values(executed) -> dict[str, dict]:
    """name -> output data of every value glued in an executed notebook (myst-nb's format)."""
    found = {}
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook")
            if scrap:
                prefix = len(scrap.get("mime_prefix", ""))
                found[scrap["name"]] = {k[prefix:]: v for k, v in output["data"].items()}
    return found
