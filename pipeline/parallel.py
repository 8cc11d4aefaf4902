"""Run a function over a long stream in worker processes: results in input order, memory bounded."""
from __future__ import annotations

import itertools
import multiprocessing
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], processes: int, batch: int = 256,
                chunksize: int = 8) -> Iterator[R]:
    """fn over items in ``processes`` forked workers, yielding results in input order.

    At most two batches are in flight, so a million-item input never sits in memory
    (Pool.imap would read the whole input ahead). Forked workers inherit what the parent
    has loaded (the segmenter's dictionary, the gazetteer) instead of loading it again.
    """
    if processes <= 1:
        yield from map(fn, items)
        return
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for _, result in ordered_map_in_pool(pool, fn, items, batch=batch, chunksize=chunksize):
            yield result


def ordered_map_in_pool(pool, fn: Callable, items: Iterable, arg: Callable = lambda item: item,
                        batch: int = 256, chunksize: int = 8) -> Iterator[tuple]:
    """(item, fn(arg(item))) in input order on an existing pool, at most two batches in
    flight; only arg(item) travels to the workers."""
    it = iter(items)
    pending = None
    while True:
        chunk = list(itertools.islice(it, batch))
        job = pool.map_async(fn, [arg(x) for x in chunk], chunksize) if chunk else None
        if pending is not None:
            yield from zip(pending[0], pending[1].get())
        if job is None:
            return
        pending = (chunk, job)
