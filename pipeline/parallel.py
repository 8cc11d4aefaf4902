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
    it = iter(items)
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pending = None
        while True:
            chunk = list(itertools.islice(it, batch))
            job = pool.map_async(fn, chunk, chunksize) if chunk else None
            if pending is not None:
                yield from pending.get()
            if job is None:
                return
            pending = job
