"""Tools that maintain the course, not needed to learn it: the scripts in `tools/` call them.

- `notebooks`: the course's notebooks, their setup cell, clearing outputs.
- `output`: where a tool may write (never into the course's sources) and how it empties a folder.
- `student`: student versions of the labs (nbgrader), leak checks, solved copies.
- `student_book`: the book built from the student versions (an allowlist copy of the sources).
- `launch`: the notebooks the launch buttons open (student labs, chapters readable in Jupyter).

The functions take the repository root as an argument; `ROOT` is this checkout's.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
