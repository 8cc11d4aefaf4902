"""Data flows one way: crawler → pipeline → index → CLI and web app. A stage never imports a later one.

Below them all, epaper (what e-paper URLs and page labels say) is read by the crawler and the
pipeline alike; it imports no stage."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LATER = {
    "epaper": {"crawler", "pipeline", "index", "search_cli", "unionkb"},
    "crawler": {"pipeline", "index", "search_cli", "unionkb"},
    "pipeline": {"index", "search_cli", "crawler", "unionkb"},
    "index": {"search_cli", "crawler", "unionkb"},
    # the web app is a top-level consumer beside the CLI: the CLI starts it, never the reverse
    "unionkb/web": {"search_cli", "crawler"},
}


def imported_top_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("stage", sorted(LATER))
def test_stage_imports_no_later_stage(stage):
    bad = {}
    for f in (REPO / stage).rglob("*.py"):
        hit = imported_top_modules(f) & LATER[stage]
        if hit:
            bad[str(f.relative_to(REPO))] = hit
    assert not bad, bad
