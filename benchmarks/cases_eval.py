#!/usr/bin/env python3
"""How right are the cases? Recompute them on the People's Daily set and compare with a judged sample.

    python benchmarks/cases_eval.py [--index DIR] [--data JSONL]      # compare with the judgments
    python benchmarks/cases_eval.py --index DIR --draw                 # draw a new sample to judge

The sample (tests/fixtures/cases_judged.jsonl) is 50 cases drawn at random (seed 14) from all the
cases of the 10,294 articles, each judged by reading its evidence: is the region and the acting
organisation right, and does each figure belong to this case. This script rebuilds the cases with
the current rules and reports, for the judged cases it still produces unchanged:
  - region and organisation right (target >= 0.9),
  - "the figure belongs to this case" over all judged figures (target >= 0.8),
and every failure with its note; cases that are gone or changed need judging again.
With no --index, the set is ingested into a temporary archive first (a few minutes).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "rmrb-people-daily-2019-2020" / "rmrb_2019-2020_5months.jsonl"
FIXTURE = ROOT / "tests" / "fixtures" / "cases_judged.jsonl"
SEED = 14
SAMPLE = 50
TARGET_REGION_ORG = 0.9
TARGET_FIGURES = 0.8


def _line_of(origin: str) -> int | None:
    tail = origin.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def case_record(case, origins: dict[str, str]) -> dict:
    """A case as the fixture keeps it, with empty judgments to fill in."""
    return {
        "id": case.id,
        "region": " / ".join(case.region_path),
        "level": case.level,
        "org": case.org,
        "program": case.program,
        "description": case.description,
        "articles": [
            {
                "id": a.id,
                "line": _line_of(origins.get(a.id, "")),
                "date": a.date,
                "title": a.title,
                "evidence": a.evidence,
            }
            for a in case.articles
        ],
        "figures": [
            {"text": f.text, "what": f.what, "article_id": f.article_id, "belongs": None} for f in case.figures
        ],
        "region_org_right": None,
        "note": "",
    }


def compare(judged: list[dict], current: dict) -> dict:
    """Judgments that still apply to the current cases, and what changed."""
    same, changed, gone = [], [], []
    unjudged_figures = 0
    for j in judged:
        c = current.get(j["id"])
        if c is None:
            gone.append(j)
            continue
        now = {f.text for f in c.figures}
        if (c.org, " / ".join(c.region_path), c.program) != (j["org"], j["region"], j["program"]) or not {
            f["text"] for f in j["figures"]
        } <= now:
            changed.append((j, c))
            continue
        unjudged_figures += len(now - {f["text"] for f in j["figures"]})
        same.append(j)
    region_org = [j["region_org_right"] for j in same if j["region_org_right"] is not None]
    figures = [f["belongs"] for j in same for f in j["figures"] if f["belongs"] is not None]
    return {
        "judged": len(judged),
        "unchanged": len(same),
        "changed": changed,
        "gone": gone,
        "region_org": sum(region_org) / len(region_org) if region_org else None,
        "region_org_n": len(region_org),
        "figures": sum(figures) / len(figures) if figures else None,
        "figures_n": len(figures),
        "cases_with_figures": sum(1 for j in same if j["figures"]),
        "unjudged_figures": unjudged_figures,
        "same": same,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, help="an archive of the set (built here when missing)")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--fixture", type=Path, default=FIXTURE)
    ap.add_argument("--draw", action="store_true", help="draw a new sample with empty judgments into --fixture")
    ap.add_argument("--force", action="store_true", help="with --draw: overwrite a judged fixture")
    args = ap.parse_args()

    from index.archive import Archive
    from pipeline.loaders import iter_sources

    root = args.index or Path(tempfile.mkdtemp(prefix="unionkb-cases-"))
    if not (root / "config.json").exists():
        if not args.data.exists():
            print(f"no data at {args.data}", file=sys.stderr)
            return 2
        t = time.perf_counter()
        with Archive.open(root, create=True) as archive:
            report = archive.ingest(iter_sources([args.data]))
        print(f"ingested {report.added} articles in {time.perf_counter() - t:.0f} s into {root}")
    with Archive.open(root) as archive:
        t = time.perf_counter()
        n = archive.rebuild_cases()
        print(
            f"cases rebuilt from the store: {n} in {time.perf_counter() - t:.1f} s ({archive.store.count()} articles)"
        )
        cases = archive.cases(k=10**9)
        origins = {sa.id: sa.article.origin for sa in archive.store.iter_articles()}
    if not args.index:
        shutil.rmtree(root, ignore_errors=True)
    by_level: dict[str, int] = {}
    for c in cases:
        by_level[c.level] = by_level.get(c.level, 0) + 1
    print(
        f"{len(cases)} cases; by level {by_level}; with figures {sum(1 for c in cases if c.figures)}; "
        f"reported by 2+ articles {sum(1 for c in cases if len(c.articles) > 1)}"
    )

    if args.draw:
        if (
            args.fixture.exists()
            and not args.force
            and any(
                json.loads(line).get("region_org_right") is not None for line in args.fixture.open(encoding="utf-8")
            )
        ):
            print(f"{args.fixture} holds judgments; pass --force to replace them", file=sys.stderr)
            return 2
        sample = random.Random(SEED).sample(sorted(cases, key=lambda c: c.id), min(SAMPLE, len(cases)))
        args.fixture.parent.mkdir(parents=True, exist_ok=True)
        with args.fixture.open("w", encoding="utf-8") as out:
            for c in sorted(sample, key=lambda c: c.id):
                out.write(json.dumps(case_record(c, origins), ensure_ascii=False) + "\n")
        print(f"wrote {len(sample)} cases to judge into {args.fixture}")
        return 0

    judged = [json.loads(line) for line in args.fixture.open(encoding="utf-8") if line.strip()]
    r = compare(judged, {c.id: c for c in cases})
    print(
        f"judged sample: {r['judged']} cases; unchanged now: {r['unchanged']}; changed: {len(r['changed'])}; "
        f"gone: {len(r['gone'])}"
    )
    ok = True
    if r["region_org"] is not None:
        met = r["region_org"] >= TARGET_REGION_ORG
        ok &= met
        print(
            f"region and organisation right: {r['region_org']:.2f} of {r['region_org_n']} cases "
            f"(target {TARGET_REGION_ORG}: {'met' if met else 'MISSED'})"
        )
    if r["figures"] is not None:
        met = r["figures"] >= TARGET_FIGURES
        ok &= met
        print(
            f"figure belongs to its case: {r['figures']:.2f} of {r['figures_n']} figures in "
            f"{r['cases_with_figures']} cases (target {TARGET_FIGURES}: {'met' if met else 'MISSED'})"
        )
    if r["unjudged_figures"]:
        print(f"  {r['unjudged_figures']} figures attached since the judging are not judged")
    for j in r["same"]:
        if j["region_org_right"] is False:
            print(f"  wrong region/organisation [{j['id']}] {j['org']} · {j['program']}: {j['note']}")
        for f in j["figures"]:
            if f["belongs"] is False:
                print(
                    f"  figure not this case's [{j['id']}] {j['program']}: {f['text']} ({f['what']})"
                    + (f" — {f['note']}" if f.get("note") else "")
                )
    for j, c in r["changed"]:
        print(f"  changed, judge again [{j['id']}] {j['org']} · {j['program']} -> {c.org} · {c.program}")
    for j in r["gone"]:
        print(f"  gone [{j['id']}] {j['org']} · {j['program']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
