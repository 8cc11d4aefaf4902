"""Run a function over a long stream in worker processes: results in input order, memory bounded."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


BATCH_CHARS = 4_000_000  # text per batch: two batches in flight hold a few tens of MB of text


def text_size(item) -> int:
    """Characters of text an item carries (a Page's text, an Article's body); 1 for others."""
    text = getattr(item, "text", None)
    if not isinstance(text, str):
        text = getattr(item, "body", None)
    return len(text) if isinstance(text, str) else 1


def ordered_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    processes: int,
    batch: int = 256,
    chunksize: int = 8,
    size: Callable[[T], int] = text_size,
    batch_size: int = BATCH_CHARS,
) -> Iterator[R]:
    """fn over items in ``processes`` forked workers, yielding results in input order.

    At most two batches are in flight, each of at most ``batch`` items and about
    ``batch_size`` in ``size`` (characters of text by default), so neither a million small
    items nor a few huge ones ever sit in memory at once (Pool.imap would read the whole
    input ahead). Forked workers inherit what the parent has loaded (the segmenter's
    dictionary, the gazetteer) instead of loading it again.
    """
    if processes <= 1:
        yield from map(fn, items)
        return
    with fork_pool(processes) as pool:
        for _, result in ordered_map_in_pool(
            pool, fn, items, batch=batch, chunksize=chunksize, size=size, batch_size=batch_size
        ):
            yield result


def fork_pool(processes: int):
    """A pool of forked workers that stay quiet when the run is interrupted or killed."""
    return multiprocessing.get_context("fork").Pool(processes, initializer=_quiet_worker, initargs=(os.getpid(),))


_PR_SET_PDEATHSIG = 1


def _quiet_worker(parent: int) -> None:
    """Ctrl-C reaches the whole process group: the parent handles it (leaving the pool ends
    the workers), so a worker ignores it rather than print a KeyboardInterrupt traceback.

    A killed parent must take its workers with it: left alone they would print a
    BrokenPipeError traceback each, or — a sibling having died holding the result pipe's
    lock — wait on it forever. On Linux the kernel kills them with the parent
    (PR_SET_PDEATHSIG); a write to the closed pipe before that ends a worker silently
    (SIGPIPE at its default) rather than with a traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: a worker still ends on the closed pipe
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(0)


def ordered_map_in_pool(
    pool,
    fn: Callable,
    items: Iterable,
    arg: Callable = lambda item: item,
    batch: int = 256,
    chunksize: int = 8,
    size: Callable | None = None,
    batch_size: int = BATCH_CHARS,
) -> Iterator[tuple]:
    """(item, fn(arg(item))) in input order on an existing pool, at most two batches in
    flight (see ordered_map); only arg(item) travels to the workers."""
    it = iter(items)
    pending = None
    while True:
        chunk = _next_batch(it, batch, size, batch_size)
        job = pool.map_async(fn, [arg(x) for x in chunk], chunksize) if chunk else None
        if pending is not None:
            yield from zip(pending[0], pending[1].get())
        if job is None:
            return
        pending = (chunk, job)


def _next_batch(it: Iterator, batch: int, size: Callable | None, batch_size: int) -> list:
    if size is None:
        return list(itertools.islice(it, batch))
    chunk: list = []
    total = 0
    for item in it:
        chunk.append(item)
        total += size(item)
        if len(chunk) >= batch or total >= batch_size:
            break
    return chunk
