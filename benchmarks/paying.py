"""The union-news paraphrase set through a real archive, and the speed of each way to pay for meaning.

Used by benchmarks/retrieval.py; runnable alone:

    python benchmarks/paying.py [--no-speed]

* ``union_pages_eval``: ingests the 100 union-news pages into a temporary archive (the README's
  ingest: tantivy + static vectors), adds e5 vectors, and asks the questions of
  benchmarks/devsets/paraphrase_union_pages.jsonl through ``Archive.search``: success@5 and
  MRR@10 per split, per system; then the title boost and the fusion weight on the dev split.
* ``speed_report``: fresh-process model loads (CPU and wall), a cold CLI search (keyword-only
  as the baseline, then hybrid), and passages per CPU-second for lead passages and for all
  passages of People's Daily articles, with the CPU-minutes the 10,294 articles would take.
  The machine is shared: compare ratios and CPU seconds, not wall times across runs.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data"
UNION = SHARED / "union-news-pages" / "union_news_pages.jsonl"
PEOPLES_DAILY = SHARED / "rmrb-people-daily-2019-2020" / "rmrb_2019-2020_5months.jsonl"
DEVSET = ROOT / "benchmarks" / "devsets" / "paraphrase_union_pages.jsonl"
TITLE_BOOSTS = (1.0, 1.5, 2.0, 3.0)
KEYWORD_WEIGHTS = (0.2, 0.3, 0.4, 0.5)
_ARCHIVES = tempfile.TemporaryDirectory(prefix="unionkb-paying-")


def load_devset() -> list[dict]:
    return [json.loads(x) for x in DEVSET.read_text(encoding="utf-8").splitlines() if x.strip()]


def build_union_archive(models: list[str]) -> Path:
    """The union pages ingested as the README does, plus full vectors for each e5 model."""
    from index.archive import Archive
    from pipeline.loaders import iter_sources

    path = Path(_ARCHIVES.name) / "union"
    if path.exists():
        return path
    with Archive.open(path, create=True) as ar:
        ar.ingest(iter_sources([UNION]), workers=1)
        for m in models:
            if m != "static":
                ar.embed_staged(m)
    return path


def _score(archive, cases: list[dict], mode: str, model: str | None) -> dict[str, dict[str, float]]:
    per: dict[str, list[tuple[float, float]]] = {"dev": [], "heldout": []}
    for c in cases:
        urls = [r.url for r in archive.search(c["query"], k=10, mode=mode, model=model)]
        rank = urls.index(c["url"]) + 1 if c["url"] in urls else None
        per[c["split"]].append((1.0 if rank and rank <= 5 else 0.0, 1.0 / rank if rank else 0.0))
    return {
        split: {"success@5": float(np.mean([a for a, _ in xs])), "MRR@10": float(np.mean([b for _, b in xs]))}
        for split, xs in per.items()
    }


def union_pages_eval(models: list[str]) -> dict:
    from index import hybrid
    from index.archive import Archive
    from index.keyword import base

    cases = load_devset()
    if not UNION.is_file():
        print(f"\nunion pages: {UNION} not found; skipped")
        return {}
    path = build_union_archive(models)
    out: dict = {"systems": {}, "title_boost": {}, "keyword_weight": {}}
    n_dev = sum(c["split"] == "dev" for c in cases)
    print(
        f"\nunion-news pages (100 articles, README ingest + e5 vectors): {len(cases)} paraphrase questions, "
        f"{n_dev} dev / {len(cases) - n_dev} held out"
    )
    print(f"  {'system':<34}{'dev s@5':>9}{'dev MRR':>9}{'held s@5':>10}{'held MRR':>10}")

    def row(name: str, r: dict) -> None:
        print(
            f"  {name:<34}{r['dev']['success@5']:>9.2f}{r['dev']['MRR@10']:>9.3f}"
            f"{r['heldout']['success@5']:>10.2f}{r['heldout']['MRR@10']:>10.3f}"
        )

    with Archive.open(path) as ar:
        systems = [("keyword", "keyword", None)]
        for m in models:
            systems += [(f"semantic {m}", "semantic", m), (f"hybrid keyword+{m}", "hybrid", m)]
        for name, mode, model in systems:
            out["systems"][name] = r = _score(ar, cases, mode, model)
            row(name, r)
        e5 = next((m for m in ("e5-small-int8", "e5-small") if m in models), None)
        print("  title boost (body 1.0; kicker = max(1, title/2)), tuned on dev:")
        saved = dict(base.FIELD_BOOSTS)
        try:
            for tb in TITLE_BOOSTS:
                base.FIELD_BOOSTS.update(title=tb, kicker=max(1.0, tb / 2))
                for name, mode, model in [("keyword", "keyword", None)] + (
                    [("hybrid " + e5, "hybrid", e5)] if e5 else []
                ):
                    out["title_boost"][f"{tb:g} {name}"] = r = _score(ar, cases, mode, model)
                    row(f"title {tb:g}: {name}", r)
        finally:
            base.FIELD_BOOSTS.clear()
            base.FIELD_BOOSTS.update(saved)
        if e5:
            print(f"  keyword weight in hybrid keyword+{e5} (semantic gets the rest), tuned on dev:")
            saved_fusion = hybrid.FUSION_BY_MODEL[e5]
            try:
                for w in KEYWORD_WEIGHTS:
                    hybrid.FUSION_BY_MODEL[e5] = hybrid.FusionSettings(weights=(w, 1 - w))
                    out["keyword_weight"][f"{w:g}"] = r = _score(ar, cases, "hybrid", e5)
                    row(f"keyword weight {w:g}", r)
            finally:
                hybrid.FUSION_BY_MODEL[e5] = saved_fusion
    return out


# --------------------------------------------------------------------------- speed

_LOAD = """
import json, resource, sys, time
t = time.perf_counter()
sys.path.insert(0, {root!r})
from index.semantic import building, encoding
name = {name!r}
if name == "torch":
    enc = encoding.load_sentence_transformer(str(building.build_e5_small(building.default_cache_dir())), "e5-small")
else:
    enc = encoding.load_model(name)
enc.encode_queries(["给送外卖的人提供歇脚喝水的地方"])
r = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"wall": time.perf_counter() - t, "cpu": r.ru_utime + r.ru_stime, "torch": "torch" in sys.modules}}))
"""


def _child(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd[:4])} … failed: {done.stderr.strip().splitlines()[-1:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def _passages_per_cpu_second(encoder, texts: list[str]) -> float:
    encoder.encode_passages(texts[:4])
    c = time.process_time()
    encoder.encode_passages(texts, batch_size=32)
    return len(texts) / max(time.process_time() - c, 1e-9)


def speed_report(repeats: int = 2) -> dict:
    from index.semantic.encoding import load_model
    from index.semantic.vectors import article_text, split_into_passages

    out: dict = {"load": {}, "cli": {}, "embed": {}}
    load = os.getloadavg()[0]
    print(f"\nspeed in fresh processes ({os.cpu_count()} cores, load average {load:.1f}; best of {repeats})")
    for name, label in (
        ("torch", "e5-small via torch (before)"),
        ("e5-small", "e5-small ONNX fp32"),
        ("e5-small-int8", "e5-small-int8 ONNX"),
        ("static", "static"),
    ):
        runs = []
        for _ in range(repeats):
            _, _, stdout = _child([sys.executable, "-c", _LOAD.format(root=str(ROOT), name=name)])
            runs.append(json.loads(stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["cpu"])
        out["load"][name] = best
        print(
            f"  load + first query, {label:<28} CPU {best['cpu']:5.2f} s  wall {best['wall']:5.2f} s"
            f"  (torch imported: {best['torch']})"
        )
    base = out["load"]["torch"]["cpu"]
    for name in ("e5-small", "e5-small-int8"):
        print(f"  {name}: {base / out['load'][name]['cpu']:.1f}x less CPU to load than through torch")

    archive = build_union_archive(["e5-small-int8"])
    query = "给过年不回家的外地工人提前吃团圆饭"
    cli = [sys.executable, str(ROOT / "search_cli.py"), "--index", str(archive), "search", query, "-k", "5"]
    for label, extra in (("keyword (baseline)", ["--mode", "keyword"]), ("hybrid, default model", [])):
        runs = [_child(cli + extra)[:2] for _ in range(repeats)]
        wall, cpu = min(runs, key=lambda r: r[1])
        out["cli"][label] = {"wall": wall, "cpu": cpu}
        print(f"  CLI search, cold, {label:<22} CPU {cpu:5.2f} s  wall {wall:5.2f} s")
    kw = out["cli"]["keyword (baseline)"]["cpu"]
    print(f"  hybrid CLI call costs {out['cli']['hybrid, default model']['cpu'] / kw:.2f}x the keyword call's CPU")

    if PEOPLES_DAILY.is_file():
        arts = []
        with PEOPLES_DAILY.open(encoding="utf-8") as f:
            for i, line in enumerate(f):
                if i % 80 == 0:
                    r = json.loads(line)
                    arts.append(
                        (
                            str(i),
                            " ".join(x for x in (r.get("kicker"), r.get("title"), r.get("subtitle")) if x),
                            r.get("text") or "",
                        )
                    )
        split = [split_into_passages(h, b) for _, h, b in (article_text(a) for a in arts)]
        leads = [ps[0] for ps in split if ps]
        rest = [p for ps in split for p in ps[1:]]
        total_articles, total_passages = 10_294, 37_678
        print(
            f"  embedding People's Daily ({len(arts)} sampled articles: {len(leads)} leads, {len(rest)} other passages)"
        )
        for name in ("e5-small-int8", "e5-small"):
            enc = load_model(name)
            lead_rate = _passages_per_cpu_second(enc, leads)
            rest_rate = _passages_per_cpu_second(enc, rest)
            lead_min = total_articles / lead_rate / 60
            rest_min = (total_passages - total_articles) / rest_rate / 60
            out["embed"][name] = {
                "lead_per_cpu_s": lead_rate,
                "rest_per_cpu_s": rest_rate,
                "lead_cpu_min": lead_min,
                "rest_cpu_min": rest_min,
            }
            print(
                f"    {name:<14} leads {lead_rate:5.1f} passages/CPU-s, others {rest_rate:5.1f}: for 10,294 articles "
                f"{lead_min:5.1f} CPU-min for the leads (~{lead_min / 2:4.1f} min on 2 idle cores), "
                f"{rest_min:5.1f} CPU-min for the rest (~{rest_min / 2:4.1f} min)"
            )
    return out


if __name__ == "__main__":
    union_pages_eval(["static", "e5-small-int8", "e5-small"])
    if "--no-speed" not in sys.argv:
        speed_report()
