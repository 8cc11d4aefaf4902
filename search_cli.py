#!/usr/bin/env python3
"""search_cli.py — ingest and search an archive of Chinese trade-union news.

A thin click layer over index.archive.Archive: every command parses options, calls the
library, and prints either human text or, with --json, stable JSON for scripts.
"""

from __future__ import annotations

import os

# Before numpy/torch load: numpy's OpenBLAS threads and torch's spin-waiting threads fight
# over the two cores (a 25 ms e5 query went to ~940 ms under load without these).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import click  # noqa: E402

ENV_INDEX = "UNIONKB_INDEX"


def default_index_dir() -> str:
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("unionkb")) / "archive")


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


def progress_bar(desc: str, total: int | None = None, initial: int = 0, unit: str = " art", quiet: bool = False):
    """A progress bar on stderr (stdout stays clean for --json); hidden when quiet or not a terminal."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        initial=initial,
        desc=desc,
        unit=unit,
        disable=quiet or None,
        file=sys.stderr,
        dynamic_ncols=True,
    )


_MARK = re.compile(r"<mark>(.*?)</mark>")


def plain(text: str | None) -> str:
    """Archive text made safe for a terminal: no escape sequences, control or bidi characters
    (stored text is cleaned of them at ingest; this also covers archives made before that)."""
    from pipeline.clean import strip_invisible

    return strip_invisible(text or "")


def render_marks(snippet: str) -> str:
    """<mark>…</mark> from the library becomes colour on a terminal, «…» in a pipe."""
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        return _MARK.sub(lambda m: click.style(m.group(1), fg="red", bold=True), snippet)
    return _MARK.sub(r"«\1»", snippet)


def _iso_date(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    from pipeline.dates import parse_date

    iso = parse_date(value)
    if not iso:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)", param_hint=name)
    return iso


LEVELS = click.Choice(["province", "city", "county"])


def open_archive(
    ctx: click.Context, create: bool = False, backend: str | None = None, write: bool = False, wait: bool = True
):
    """The archive for a command. Writers (``write``) hold its lock until they finish: another
    writer at work makes them wait, saying for whom, or with ``wait=False`` fail at once.
    Readers never wait; they warn on stderr when the indexes disagree with the store."""
    from index.archive import Archive, ArchiveError
    from index.lock import busy_message

    def on_wait(holder):
        click.echo(f"waiting: {busy_message(ctx.obj['index'], holder)} (--no-wait to stop instead)", err=True)

    try:
        archive = Archive.open(
            ctx.obj["index"], create=create, backend=backend, write=write, wait=wait, on_wait=on_wait
        )
        if not write:
            for w in archive.warnings():
                click.echo(f"warning: {w}", err=True)
        return archive
    except ArchiveError as e:
        raise click.ClickException(str(e)) from None


def json_option(help: str = "Print the result as JSON (stable field names, for scripts)."):
    """The --json flag every command takes: JSON on stdout, progress and messages on stderr."""
    return click.option("--json", "as_json", is_flag=True, help=help)


NO_WAIT = click.option(
    "--no-wait",
    is_flag=True,
    help="If another process is writing the archive, exit 1 at once instead of waiting for it.",
)


class ArchiveErrorsAsMessages(click.Group):
    """Any ArchiveError a command lets through (busy, disk full, read-only …) is one line, exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as e:
            archive_mod = sys.modules.get("index.archive")
            if archive_mod is not None and isinstance(e, archive_mod.ArchiveError):
                raise click.ClickException(str(e)) from None
            raise


@click.group(cls=ArchiveErrorsAsMessages, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--index",
    "index_dir",
    envvar=ENV_INDEX,
    default=default_index_dir,
    show_default="per-user data dir",
    type=click.Path(file_okay=False),
    help=f"Archive directory (also ${ENV_INDEX}).",
)
@click.version_option(package_name="unionkb", prog_name="search_cli.py")
@click.pass_context
def cli(ctx: click.Context, index_dir: str) -> None:
    """Ingest newspaper pages into an archive and search it.

    \b
    Quick start:
      search_cli.py --index ./archive ingest corpus/
      search_cli.py --index ./archive search 马背送学
      search_cli.py --index ./archive search '"集体协商"' --json
    """
    ctx.ensure_object(dict)
    ctx.obj["index"] = index_dir


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--backend",
    type=click.Choice(["whoosh", "tantivy"]),
    default=None,
    help="Keyword engine for a NEW archive (recorded in it; default tantivy).",
)
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Processes for the pipeline (default: 2).")
@click.option(
    "--embed/--no-embed",
    default=True,
    show_default=True,
    help="Embed new articles with the fast static model as they are added (the transformer "
    "model is added later with `embed`).",
)
@click.option(
    "--follow-links",
    is_flag=True,
    help="Inside folders, also follow symbolic links that point outside them (not followed by default).",
)
@json_option("Print the summary as JSON.")
@NO_WAIT
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    backend: str | None,
    workers: int | None,
    embed: bool,
    follow_links: bool,
    as_json: bool,
    no_wait: bool,
) -> None:
    """Load pages (.txt/.md), e-paper HTML (.html/.htm) or JSONL articles from PATHS.

    Folders are read recursively. Pages are cleaned, split into articles,
    deduplicated by content and indexed. Unreadable files (and FIFOs, devices, links
    out of the folder) are reported by name and skipped; the exit code is 1 if any was.
    """

    from index.archive import ArchiveError
    from pipeline.loaders import iter_sources

    archive = open_archive(ctx, create=True, backend=backend, write=True, wait=not no_wait)
    bar = progress_bar("ingest", unit=" doc", quiet=as_json)
    seen_problems = 0

    def on_progress(report):
        nonlocal seen_problems
        bar.n = report.sources
        bar.set_postfix(
            articles=report.articles,
            added=report.added,
            dupes=report.duplicates,
            skipped=len(report.problems),
            refresh=False,
        )
        bar.update(0)
        for p in report.problems[seen_problems:]:
            bar.write(f"skipped {p.origin}: {p.reason}", file=sys.stderr)
        seen_problems = len(report.problems)

    if not embed:
        archive.ingest_models = []
    try:
        with archive:
            report = archive.ingest(
                iter_sources(paths, follow_links=follow_links), workers=workers, on_progress=on_progress
            )
    except ArchiveError as e:
        raise click.ClickException(str(e)) from None
    finally:
        bar.close()
    if as_json:
        _echo_json(
            {
                "pages": report.pages,
                "articles": report.articles,
                "added": report.added,
                "duplicates": report.duplicates,
                "seconds": round(report.seconds, 3),
                "skipped": [{"file": p.origin, "reason": p.reason} for p in report.problems],
            }
        )
    else:
        click.echo(report.summary())
        for p in report.problems:
            click.echo(f"  skipped {p.origin}: {p.reason}")
    if report.problems:
        ctx.exit(1)


@cli.command()
@click.argument("query", required=False)
@click.option("-k", "k", type=click.IntRange(1, 1000), default=10, show_default=True, help="Number of results.")
@click.option("--since", help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only articles published on or before this date (YYYY-MM-DD).")
@click.option("--source", help="Only articles from this outlet, e.g. 工人日报.")
@click.option("--region", help="Only articles about this place or anything below it (甘肃省 finds 肃北 and 白银).")
@click.option("--level", type=LEVELS, help="Which unit --region means when a name is shared (朝阳: city or county).")
@click.option(
    "--mode",
    type=click.Choice(["keyword", "semantic", "hybrid"]),
    default="hybrid",
    show_default=True,
    help="keyword: words as typed; semantic: by meaning; hybrid: both, fused.",
)
@click.option(
    "--model",
    help="Embedding model for semantic/hybrid (default: e5-small where the archive has its vectors, else static).",
)
@json_option("Print a JSON array (id, title, date, source, score, snippet, text, …).")
@click.pass_context
def search(ctx, query, k, since, until, source, region, level, mode, model, as_json):
    """Search the archive. Quote a phrase ("集体协商") to require it word for word.

    Describe what a story was about (给送外卖的人提供歇脚喝水的地方) and hybrid search
    finds it even without shared words; exact phrases and program names stay on top.
    """
    from index.archive import ArchiveError
    from index.keyword.base import Filters

    if not query or not query.strip():
        raise click.UsageError("give a QUERY, e.g. search_cli.py search 马背送学")
    with open_archive(ctx) as archive:
        try:
            code = archive.resolve_region(region, level).code if region else None
            filters = Filters(
                since=_iso_date(since, "--since"), until=_iso_date(until, "--until"), source=source, region=code
            )
            results = archive.search(query, k=k, filters=filters, mode=mode, model=model)
        except ArchiveError as e:
            raise click.ClickException(str(e)) from None
    if as_json:
        _echo_json([r.to_dict() for r in results])
        return
    if not results:
        click.echo("no matches")
        return
    for n, r in enumerate(results, 1):
        meta = plain(" · ".join(x for x in (r.date or "undated", r.source, f"p.{r.page}" if r.page else "") if x))
        click.echo(
            f"{n:2d}. {click.style(plain(r.title) or '(untitled)', bold=True)}  [{r.id}]  {meta}  score {r.score:.3f}"
        )
        click.echo(f"    {render_marks(plain(r.snippet))}")


@cli.command()
@click.argument("article_id")
@json_option("Print the article (and its entities) as JSON.")
@click.pass_context
def show(ctx, article_id, as_json):
    """Print one article by its id (a unique prefix is enough)."""
    from index.archive import ArchiveError

    with open_archive(ctx) as archive:
        try:
            record = archive.article(article_id)
        except ArchiveError as e:
            raise click.ClickException(str(e)) from None
    sa, a = record, record.article
    if as_json:
        _echo_json(record.to_dict())
        return
    if a.kicker:
        click.echo(plain(a.kicker))
    click.echo(click.style(plain(a.title), bold=True))
    if a.subtitle:
        click.echo(plain(a.subtitle))
    click.echo(
        plain(
            " · ".join(
                x
                for x in (sa.id, a.date or "undated", a.source, f"p.{a.page}" if a.page else "", a.kind, a.byline.raw)
                if x
            )
        )
    )
    click.echo("")
    click.echo(plain(a.body))


@cli.command("list")
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many (default: all).")
@json_option("Print a JSON array of {id, title, date, source, kind}.")
@click.pass_context
def list_(ctx, limit, as_json):
    """List the articles in the archive, in the order they were added."""
    with open_archive(ctx) as archive:
        rows = [r.summary() for r in archive.articles(limit)]
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        click.echo(
            plain(f"{r['id']}  {r['date'] or 'undated':10}  {r['kind']:10}  {r['source'] or '-':8}  {r['title']}")
        )


@cli.command()
@json_option("Print the statistics as JSON.")
@click.pass_context
def stats(ctx, as_json):
    """Counts: articles, sources, kinds, dates, entities, index sizes."""
    with open_archive(ctx) as archive:
        s = archive.stats()
    if as_json:
        _echo_json(s)
        return
    for key, value in s.items():
        click.echo(f"{key:18} {value}")


@cli.command()
@click.argument("article_id")
@click.option("-k", "k", type=click.IntRange(1, 100), default=5, show_default=True, help="Number of stories.")
@click.option("--model", help="Embedding model (default: the best one the archive has).")
@json_option("Print a JSON array of {id, title, date, source, kind, score, shared}.")
@click.pass_context
def similar(ctx, article_id, k, model, as_json):
    """Precedent stories: the articles most like ARTICLE_ID, with what they share
    (regions, programs, topic words). Reprints of the same story are left out."""
    from index.archive import ArchiveError

    with open_archive(ctx) as archive:
        try:
            rows = archive.similar(article_id, k=k, model=model)
        except ArchiveError as e:
            raise click.ClickException(str(e)) from None
    if as_json:
        _echo_json(rows)
        return
    for n, r in enumerate(rows, 1):
        click.echo(
            f"{n}. {click.style(r['title'], bold=True)}  [{r['id']}]  {r['date'] or 'undated'}  "
            f"similarity {r['score']:.3f}"
        )
        sh = r["shared"]
        parts = [
            f"{name}: {'、'.join(v)}"
            for name, v in (("regions", sh["regions"]), ("programs", sh["programs"]), ("topics", sh["topics"]))
            if v
        ]
        if parts:
            click.echo("   shares " + "; ".join(parts))


@cli.command()
@click.option(
    "--model",
    default="e5-small-int8",
    show_default=True,
    help="e5-small-int8, e5-small, static, or any sentence-transformers model name or path.",
)
@click.option(
    "--leads-only",
    is_flag=True,
    help="Transformer models: stop after every article's lead passage (the rest on a later run).",
)
@click.option("--batch-size", type=click.IntRange(1, 1024), default=64, show_default=True)
@json_option("Print the summary as JSON.")
@NO_WAIT
@click.pass_context
def embed(ctx, model, leads_only, batch_size, as_json, no_wait):
    """Add passage vectors for every article that lacks them (resumable: stop it any time
    and run it again). For e5 models, first every article's lead passage (headline and first
    paragraph), then the rest; search uses them as they arrive, the static model filling in."""

    from index.archive import ArchiveError
    from index.semantic.models import E5_MODELS, lead_index_name

    with open_archive(ctx, write=True, wait=not no_wait) as archive:
        total = archive.store.count()
        try:
            if model in E5_MODELS:
                index, lead = archive.vectors(model), archive.vectors(lead_index_name(model))
                done = index.count() if index else 0
                leads_done = len((index.ids() if index else set()) | (lead.ids() if lead else set()))
                bars = [progress_bar(f"{model} lead passages", total, leads_done, quiet=as_json)]

                def on_rest(n):
                    if len(bars) == 1:
                        bars[0].close()
                        bars.append(progress_bar(f"{model} all passages", total, done, quiet=as_json))
                    bars[-1].update(n)

                try:
                    st = archive.embed_staged(
                        model, leads_only=leads_only, batch_size=batch_size, on_leads=bars[0].update, on_rest=on_rest
                    )
                finally:
                    for bar in bars:
                        bar.close()
                summary = {
                    "model": model,
                    "lead_articles": st.lead_articles,
                    "completed_articles": st.rest_articles,
                    "passages": st.passages,
                    "seconds": round(st.seconds, 2),
                    "passages_per_second": round(st.passages_per_second, 1),
                }
                text = (
                    f"{model}: lead passages of {st.lead_articles} articles, all passages of "
                    f"{st.rest_articles} articles ({st.passages} passages, {st.passages_per_second:.0f}/s)"
                )
            else:
                done = archive.vectors(model).count() if archive.vectors(model) else 0
                bar = progress_bar(f"embed {model}", total, done, quiet=as_json)
                try:
                    stats = archive.embed(model, progress=bar.update, batch_size=batch_size)
                finally:
                    bar.close()
                summary = {
                    "model": model,
                    "articles": stats.articles,
                    "passages": stats.passages,
                    "already_present": stats.skipped,
                    "seconds": round(stats.seconds, 2),
                    "passages_per_second": round(stats.passages_per_second, 1),
                }
                text = (
                    f"{model}: embedded {stats.articles} articles ({stats.passages} passages, "
                    f"{stats.passages_per_second:.0f}/s); {stats.skipped} already had vectors"
                )
        except ArchiveError as e:
            raise click.ClickException(str(e)) from None
    if as_json:
        _echo_json(summary)
    else:
        click.echo(text)


@cli.group()
def models():
    """The embedding models: built from installed packages into a cache, never downloaded."""


@models.command("list")
@json_option()
def models_list(as_json):
    """Show the built-in models, whether they are built, and where."""
    from index.semantic.building import models_status

    rows = [
        {"name": m.name, "built": m.built, "path": str(m.path), "size_bytes": m.size_bytes} for m in models_status()
    ]
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        state = f"built, {r['size_bytes'] / 1e6:.0f} MB" if r["built"] else "not built"
        click.echo(f"{r['name']:10} {state:18} {r['path']}")


@models.command("build")
@click.argument("names", nargs=-1)
def models_build(names):
    """Build the built-in models (e5-small, static) now instead of at first use."""
    from index.semantic.building import build_models, default_cache_dir
    from index.semantic.models import BUILTIN_MODELS, ModelError

    bad = [n for n in names if n not in BUILTIN_MODELS]
    if bad:
        raise click.BadParameter(
            f"unknown model {bad[0]!r} (choose from {', '.join(BUILTIN_MODELS)})", param_hint="NAMES"
        )
    try:
        paths = build_models(default_cache_dir(), names or BUILTIN_MODELS, progress=lambda m: click.echo(m, err=True))
    except ModelError as e:
        raise click.ClickException(str(e)) from None
    for p in paths:
        click.echo(str(p))


@cli.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["opensearch"]), default="opensearch", show_default=True)
@click.option("--model", help="Vectors to include (default: the best the archive has; 'none' for no vectors).")
@json_option("Print the summary as JSON.")
@click.pass_context
def export(ctx, out_dir, fmt, model, as_json):
    """Write the whole archive for a search cluster: OUT_DIR/mapping.json (the index
    mapping) and OUT_DIR/bulk-NNNN.ndjson (_bulk request bodies), streamed."""
    from index.archive import ArchiveError

    with open_archive(ctx) as archive:
        try:
            model, stats = archive.export_opensearch(out_dir, model=model)
        except ArchiveError as e:
            raise click.ClickException(str(e)) from None
    summary = {
        "format": fmt,
        "out_dir": str(out_dir),
        "documents": stats.documents,
        "with_vector": stats.with_vector,
        "files": stats.files,
        "bytes": stats.bytes,
        "model": model,
    }
    if as_json:
        _echo_json(summary)
    else:
        click.echo(
            f"wrote {stats.documents} documents ({stats.with_vector} with {model} vectors) in "
            f"{len(stats.files)} bulk files + mapping.json to {out_dir}"
        )


@cli.command()
@click.option(
    "--vectors/--no-vectors",
    default=False,
    show_default=True,
    help="Also drop and recompute every model's passage vectors.",
)
@NO_WAIT
@click.pass_context
def rebuild(ctx, vectors, no_wait):
    """Rebuild the keyword index and the cases (and optionally the vectors) from the article store.

    The keyword index is built beside the one in use and replaces it when complete, and so are
    the vectors: searches keep working meanwhile, and an interrupted rebuild leaves the old in place."""

    with open_archive(ctx, write=True, wait=not no_wait) as archive:
        bar = progress_bar("keyword index", archive.count())
        n = archive.rebuild_keyword_index(progress=bar.update)
        bar.close()
        click.echo(f"keyword index ({archive.backend}): {n} articles")
        bar = progress_bar("cases", archive.count())
        n = archive.rebuild_cases(progress=bar.update)
        bar.close()
        click.echo(f"cases: {n}")
        if vectors:
            from index.semantic.models import LEAD_SUFFIX

            for model in archive.vector_models():
                if model.endswith(LEAD_SUFFIX):
                    continue  # lead passages are recomputed with their model
                bar = progress_bar(f"embed {model}", archive.count())
                n = archive.rebuild_vectors(model, progress=bar.update)
                bar.close()
                click.echo(f"{model} vectors: {n} articles")


@cli.command()
@click.argument("question")
@click.option(
    "--level",
    type=LEVELS,
    help="Answer with regions at this level (default: what the question asks, "
    "哪个县 → county, 哪个城市 → city, 哪个省 → province).",
)
@click.option("-k", "k", type=click.IntRange(1, 100), default=5, show_default=True, help="Number of regions.")
@json_option(
    "Print a JSON array of {region, level, parents, code, org, program, evidence, article_id, title, "
    "score, in_gazetteer, successor} (in_gazetteer false: an abolished or renamed county, as written)."
)
@click.pass_context
def who(ctx, question, level, k, as_json):
    """Which region's organisations did what QUESTION describes, with the evidence.

    The question need not use the article's words: synonyms, numbers written another way
    (一千一百多人 / 1113人) and facts told over two sentences are found too.

    \b
    Examples:
      search_cli.py who 哪个县推出了马背送学？
      search_cli.py who '哪个省首次评选"工人发明家"'
      search_cli.py who 集体协商要约行动 --level county
    """
    from index.archive import ArchiveError

    with open_archive(ctx) as archive:
        try:
            answers = archive.who(question, level=level, k=k)
        except ArchiveError as e:
            raise click.ClickException(str(e)) from None
    if as_json:
        _echo_json([a.to_dict() for a in answers])
        return
    if not answers:
        click.echo("no region found for that")
        return
    for n, a in enumerate(answers, 1):
        where = " › ".join([*a.parents, a.region])
        unlisted = (
            "" if a.in_gazetteer else "  [not in the gazetteer" + (f"; now {a.successor}" if a.successor else "") + "]"
        )
        click.echo(f"{n}. {click.style(where, bold=True)} ({a.level}){unlisted}  score {a.score:.3f}")
        if a.org or a.program:
            click.echo(f"   {a.org}{'  ·  ' + a.program if a.program else ''}")
        click.echo(f"   “{a.evidence}”")
        click.echo(f"   — {a.title} [{a.article_id}]")


@cli.command()
@click.option(
    "--type",
    "etype",
    type=click.Choice(["region", "org", "program", "figure", "person", "date"]),
    help="Only this kind of entity.",
)
@click.option("--region", help="Only entities of articles about this place (and below it).")
@click.option("--level", type=LEVELS, help="Which unit --region means when a name is shared.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@json_option("Print a JSON array of {type, value, mentions, articles, …}.")
@click.pass_context
def entities(ctx, etype, region, level, limit, as_json):
    """What the archive knows: regions, organisations, programs, figures, people, with counts."""
    from index.archive import ArchiveError

    with open_archive(ctx) as archive:
        try:
            rows = archive.entities(etype, region=region, level=level, limit=limit)
        except ArchiveError as e:
            raise click.ClickException(str(e)) from None
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        label = " › ".join([*r["parents"], r["name"]]) if r["type"] == "region" else r["value"]
        click.echo(f"{r['articles']:5d} art {r['mentions']:5d} × {r['type']:8} {label}")


def _founder_papers() -> list[str]:
    from crawler.presets import PRESETS

    return list(PRESETS)


@cli.command()
@click.argument("system", type=click.Choice(["grrb", "grrb-legacy", "founder"]))
@click.option("--from", "date_from", required=True, help="First issue date (YYYY-MM-DD).")
@click.option("--to", "date_to", required=True, help="Last issue date (YYYY-MM-DD), inclusive.")
@click.option(
    "--paper",
    type=click.Choice(_founder_papers()),
    help="founder only: which paper (ldwb 劳动午报 — the default, zjgrrb 浙江工人日报, sxgrb 陕西工人报).",
)
@click.option("--base-url", help="Crawl a mirror or test server instead of the paper's own site.")
@click.option(
    "--redis",
    "redis_url",
    help="Share the queue and duplicate filter through Redis (redis://host:6379/0) "
    "so several crawler processes on several machines split the work.",
)
@click.option(
    "--jobdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep crawl state here so an interrupted crawl resumes.",
)
@json_option("Print the summary as JSON, with a verdict per day.")
@NO_WAIT
@click.pass_context
def crawl(ctx, system, date_from, date_to, paper, base_url, redis_url, jobdir, as_json, no_wait):
    """Fetch e-paper issues by date and add their articles to the archive as they arrive.

    \b
    SYSTEM: grrb         Workers' Daily, current e-paper (www.workercn.cn/papers/grrb)
            grrb-legacy  Workers' Daily, older issues (media.workercn.cn)
            founder      Founder-system e-papers: --paper ldwb | zjgrrb | sxgrb

    Polite by default (robots.txt, AutoThrottle, 2 requests per site at once, retries
    with back-off). Articles already stored are not fetched again.

    \b
    Exit status: 0  every day fetched, or the site says it had no issue
                 1  a day that should have articles got none (one line per day on stderr)
                 2  bad arguments
                 3  the site is unreachable (checked before anything is fetched)
    """
    from datetime import date as _date

    from crawler.items import EXIT_UNREACHABLE
    from unionkb.crawl import SiteUnreachable, crawl_into

    start = _date.fromisoformat(_iso_date(date_from, "--from"))
    end = _date.fromisoformat(_iso_date(date_to, "--to"))
    if end < start:
        raise click.BadParameter("must not be before --from", param_hint="--to")
    if paper and system != "founder":
        raise click.BadParameter(f"only for founder ({system} has one paper)", param_hint="--paper")
    archive = open_archive(ctx, create=True, write=True, wait=not no_wait)
    bar = progress_bar(f"crawl {system}", unit=" page", quiet=as_json)

    def on_progress(stats):
        bar.n = stats.pages_fetched
        bar.set_postfix(
            articles=stats.article_pages, known=stats.skipped_known, errors=stats.error_count, refresh=False
        )
        bar.update(0)

    try:
        with archive:
            try:
                run = crawl_into(
                    archive,
                    system,
                    start,
                    end,
                    paper=paper,
                    base_url=base_url,
                    redis_url=redis_url,
                    jobdir=jobdir,
                    progress=on_progress,
                )
            finally:
                bar.close()
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    except SiteUnreachable as e:
        click.echo(f"crawl: {e}", err=True)
        ctx.exit(EXIT_UNREACHABLE)
    if as_json:
        _echo_json(run.to_dict())
    else:
        click.echo(run.stats.summary())
        click.echo(run.report.summary())
        for p in run.report.problems:
            click.echo(f"  skipped {p.origin}: {p.reason}")
    for line in run.failures():
        click.echo(f"crawl: {line}", err=True)
    if run.exit_code:
        ctx.exit(run.exit_code)


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but 127.0.0.1/localhost lets other machines read the archive.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free one).")
@click.option("--no-warm", is_flag=True, help="Start at once and load the embedding model on the first query.")
@json_option("Print {url, index, articles} as one JSON line once listening.")
@click.pass_context
def serve(ctx, host, port, no_warm, as_json):
    """Serve the archive read-only over HTTP: search pages (Chinese, phone-friendly) and a
    JSON API with the same field names as --json (/api/search, /api/who, /api/articles/ID,
    /api/similar/ID, /api/entities, /api/stats; schema at /api/openapi.json).

    \b
    Example:
      search_cli.py --index ./archive serve            # then open http://127.0.0.1:8000/
    """
    from index.archive import ArchiveError
    from unionkb.web import bind, create_app
    from unionkb.web import serve as run_server

    try:
        sock = bind(host, port)
    except OSError as e:
        raise click.ClickException(str(e)) from None
    try:
        app = create_app(ctx.obj["index"], warm=not no_warm)
    except ArchiveError as e:
        sock.close()
        raise click.ClickException(str(e)) from None
    bound = sock.getsockname()
    url = f"http://{'[' + bound[0] + ']' if ':' in bound[0] else bound[0]}:{bound[1]}/"
    articles = app.state.live.articles()
    if as_json:
        click.echo(
            json.dumps({"url": url, "index": str(app.state.live.root), "articles": articles}, ensure_ascii=False),
            nl=True,
        )
    else:
        click.echo(f"serving {articles} articles from {app.state.live.root} at {url}  (Ctrl-C to stop)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}: anyone who can reach this machine can read the archive", err=True)
    sys.stdout.flush()
    run_server(app, sock, access_log=not as_json)


@cli.command()
@click.argument("query", required=False)
@click.option("--region", help="Only cases in this place or below it (甘肃省 finds 肃北 and 白银).")
@click.option("--level", type=LEVELS, help="Which unit --region means when a name is shared (朝阳: city or county).")
@click.option("--since", help="Only cases reported on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only cases reported on or before this date (YYYY-MM-DD).")
@click.option("--program", help="Only cases whose program name contains this, e.g. 送学.")
@click.option("-k", "k", type=click.IntRange(1, 10000), default=20, show_default=True, help="Number of cases.")
@json_option(
    "Print a JSON array of {id, region, level, parents, org, program, description, first_date, "
    "last_date, figures, articles: [{id, title, date, evidence}], score}."
)
@click.option(
    "--csv",
    "as_csv",
    is_flag=True,
    help="Write a spreadsheet (UTF-8 with BOM): one row per case with region path, organisation, "
    "program, first/last date, key figures, article count and first article title.",
)
@click.pass_context
def cases(ctx, query, region, level, since, until, program, k, as_json, as_csv):
    """Best-practice cases: which organisation did what, where, when, with what result.

    A case is an organisation in a region running a program (or the action a headline
    reports), joined across every article that reports it, with its figures and the
    sentence that says so in each article. QUERY matches programs and descriptions by
    words and by meaning; cases reported by more independent articles rank higher.

    \b
    Examples:
      search_cli.py cases 马背送学
      search_cli.py cases --region 甘肃省 --since 2020-01-01
      search_cli.py cases 集体协商 --level county --region 百色市 --csv > cases.csv
    """
    from index.archive import ArchiveError
    from index.cases import cases_csv, figure_label

    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    with open_archive(ctx) as archive:
        try:
            found = archive.cases(
                query,
                region=region,
                level=level,
                since=_iso_date(since, "--since"),
                until=_iso_date(until, "--until"),
                program=program,
                k=k,
            )
        except ArchiveError as e:
            raise click.ClickException(str(e)) from None
    if as_json:
        _echo_json([c.to_dict() for c in found])
        return
    if as_csv:
        click.echo(cases_csv(found), nl=False)  # bytes: written as they are (BOM, CRLF)
        return
    if not found:
        click.echo("no cases found")
        return
    for n, c in enumerate(found, 1):
        when = " – ".join(dict.fromkeys(d for d in (c.first_date, c.last_date) if d)) or "undated"
        click.echo(f"{n:2d}. {click.style(c.program, bold=True)}  [{c.id}]  {' › '.join(c.region_path)}  {when}")
        click.echo(
            f"    {c.org} · {len(c.articles)} article{'s' if len(c.articles) != 1 else ''}"
            + (f" · score {c.score:.3f}" if query else "")
        )
        click.echo(f"    “{c.description}”")
        if c.figures:
            click.echo("    " + "；".join(figure_label(f) for f in c.figures[:5]))


@cli.command("case")
@click.argument("case_id")
@json_option("Print the case as a JSON object (the shape of `cases --json`).")
@click.pass_context
def case_(ctx, case_id, as_json):
    """Print one case by its id (a unique prefix is enough): the organisation, region,
    program, dates, figures and every article that reports it with its evidence."""
    from index.archive import ArchiveError
    from index.cases import figure_label

    with open_archive(ctx) as archive:
        try:
            c = archive.case(case_id)
        except ArchiveError as e:
            raise click.ClickException(str(e)) from None
    if as_json:
        _echo_json(c.to_dict())
        return
    click.echo(click.style(c.program, bold=True) + f"  [{c.id}]")
    click.echo(f"{' › '.join(c.region_path)} ({c.level}) · {c.org}")
    click.echo(
        f"{c.first_date or 'undated'}" + (f" – {c.last_date}" if c.last_date and c.last_date != c.first_date else "")
    )
    click.echo(f"“{c.description}”")
    if c.figures:
        click.echo("figures:")
        for f in c.figures:
            click.echo(f"  {figure_label(f)}  [{f.article_id}]")
    click.echo(f"articles ({len(c.articles)}):")
    for a in c.articles:
        click.echo(f"  {a.date or 'undated':10}  {a.title}  [{a.id}]")
        click.echo(f"      “{a.evidence}”")


def main() -> None:
    """Entry point: user errors are one line; an unexpected error is one line too (set
    UNIONKB_DEBUG=1 for the traceback)."""
    try:
        cli(prog_name="search_cli.py")
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 — last resort: never show users a traceback
        if os.environ.get("UNIONKB_DEBUG"):
            raise
        click.echo(f"error: {type(e).__name__}: {e}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
