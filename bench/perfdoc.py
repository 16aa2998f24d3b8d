"""docs/PERFORMANCE.md is shared by the benchmarks: each refreshes its own `## ` section."""

from __future__ import annotations

from pathlib import Path

PERFORMANCE_DOC = Path(__file__).resolve().parents[1] / "docs" / "PERFORMANCE.md"
DOC_HEADER = """# Performance

What tpp costs to run: gas per transaction on chain, and the speed of the Python side. Every
figure here is produced by a script in `bench/` that prints a table and writes its raw results
under `bench/results/`; re-run the script to refresh its section.
"""


def write_section(heading: str, section: str, doc: Path = PERFORMANCE_DOC) -> None:
    """Write or refresh the section titled `## {heading}` (which `section` starts with),
    leaving every other section as it is; a new section goes at the end."""
    doc.parent.mkdir(parents=True, exist_ok=True)
    text = doc.read_text() if doc.is_file() else DOC_HEADER
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == f"## {heading}"), None)
    if start is None:
        new = text.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        rest = "".join(lines[end:])
        new = "".join(lines[:start]) + section + ("\n" + rest if rest else "")
    doc.write_text(new.rstrip("\n") + "\n")
