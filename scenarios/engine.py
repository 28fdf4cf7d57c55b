"""Where work that outgrows one process runs: Dask.

Scenario sweeps (``staffcast compare``), district solves and Monte Carlo
chunks are lists of independent, seeded tasks. ``Engine.map`` runs them on a
local Dask cluster sized to the machine (one single-threaded worker process
per core: HiGHS and numpy then give bit-for-bit the results of a serial run),
on an existing Dask scheduler given by address, or in this process
(``scheduler="serial"``), and returns the results in the order of the tasks.

The numerical packages stay Dask-free: ``optimize`` and ``forecast`` take a
``map`` callable where they fan work out, and the engine is passed in.
"""
from __future__ import annotations

import os
import pickle
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Sequence

SERIAL = "serial"
#: tasks out per worker at a time (``Engine.map``): enough that none waits, few enough that a
#: country's items are not all in the workers at once
WINDOW = 4


def cores() -> int:
    """Cores this process may use (its CPU affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Engine:
    """Runs a list of independent tasks and returns their results in order.

    Parameters
    ----------
    scheduler : str or None
        None: a local cluster of ``cores()`` worker processes, started on
        first use and closed by ``close()``; an address such as
        ``"tcp://10.0.0.5:8786"``: an existing Dask scheduler; ``"serial"``:
        in this process, one task after another.
    progress : bool
        Count finished tasks on the standard error when it is a terminal
        (False: never); a log or a pipe gets nothing.
    """

    def __init__(self, scheduler: str | None = None, progress: bool | None = None):
        self.scheduler = scheduler
        self.progress = progress is not False and sys.stderr.isatty()
        self._client = None
        self._cluster = None

    def map(self, fn: Callable[..., Any], items: Iterable[Any], sizes: Sequence[float] | None = None) -> list[Any]:
        """``[fn(x) for x in items]``, in parallel unless serial or a single task.

        ``sizes`` (one per item, any unit that grows with a task's time):
        tasks go out largest first, so that the largest district is not
        started last with one worker left to run it (longest processing time
        first); the results are in the items' order all the same.

        At most ``WINDOW`` tasks per worker are out at a time, each sent as
        it is submitted and its item let go: a country's 2,850 district
        tables, scattered at once, held 1.2 GB in each worker before the
        first forecast was done (and inside one task graph they made a 303
        MiB graph that Dask warned of). An item and its result travel as one
        pickle (``_packed``) rather than through Dask's serializers, which
        split every frame into its blocks: 300 counties took 76 s rather
        than 88 s, and their results grew this process by 0.38 MB a county
        rather than 0.72 MB."""
        items = list(items)
        if self.scheduler == SERIAL or len(items) < 2 or (self.scheduler is None and cores() < 2):
            return [fn(x) for x in items]
        import cloudpickle
        from distributed import as_completed

        order = list(range(len(items))) if sizes is None else sorted(range(len(items)), key=lambda k: -sizes[k])
        client = self._connect(len(items))
        window = WINDOW * max(1, len(client.scheduler_info()["workers"]))
        results: list[Any] = [None] * len(items)
        pending = as_completed()
        index = {}

        def submit(k: int) -> None:
            future = client.submit(_packed, fn, cloudpickle.dumps(items[k], protocol=5), pure=False)
            items[k] = None
            index[future.key] = k
            pending.add(future)

        for k in order[:window]:
            submit(k)
        nxt, done = min(window, len(items)), 0
        for future in pending:
            results[index.pop(future.key)] = pickle.loads(future.result())
            future.release()
            done += 1
            if nxt < len(items):
                submit(order[nxt])
                nxt += 1
            if self.progress:
                print(f"\r{done:,} of {len(results):,} tasks", end="" if done < len(results) else "\n",
                      file=sys.stderr, flush=True)
        return results

    def blocks(self, cls: type, items: Iterable[Any]) -> list[Any]:
        """One ``cls(x)`` per item that keeps its state between calls (a
        district's solver, warm from round to round): in this process when
        serial, else a Dask actor on a worker, where it stays."""
        items = list(items)
        if self.scheduler == SERIAL or len(items) < 2 or (self.scheduler is None and cores() < 2):
            return [cls(x) for x in items]
        client = self._connect(len(items))
        futures = [client.submit(cls, x, actor=True, pure=False) for x in items]
        return [f.result() for f in futures]

    def call(self, blocks: list[Any], method: str, *args) -> list[Any]:
        """``[b.method(*args) for b in blocks]``, the actors' calls in parallel."""
        out = [getattr(b, method)(*args) for b in blocks]
        if self._client is None:
            return out
        return [f.result() for f in out]

    def _connect(self, tasks: int):
        if self._client is not None:
            return self._client
        import dask
        from distributed import Client, LocalCluster

        if self.scheduler is None:
            # ":0": no fixed dashboard port to clash with another cluster's (None does not turn the
            # dashboard off: dask/distributed#8136). No statistical profiler in the workers: its call
            # trees (a dict per stack frame seen, sampled every 10 ms) grew by 0.4 MB a task, 1.1 GB
            # over a country's 2,850 districts, and nothing here reads them. And malloc's own trim
            # threshold rather than Dask's 64 KiB (MALLOC_TRIM_THRESHOLD_), which hands freed pages
            # back to the system at every turn: a county's forecast took 0.195 s with it, 0.145 s without.
            environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ").items()
                       if k != "MALLOC_TRIM_THRESHOLD_"}
            with dask.config.set({"distributed.worker.profile.enabled": False,
                                  "distributed.nanny.pre-spawn-environ": environ}):
                self._cluster = LocalCluster(n_workers=min(cores(), tasks), threads_per_worker=1, processes=True,
                                             dashboard_address=":0", silence_logs=40)
            self._client = Client(self._cluster)
        else:
            self._client = Client(self.scheduler)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None


def _packed(fn: Callable[..., Any], item: bytes) -> bytes:
    """``fn`` of a pickled item, pickled (a task of ``Engine.map``)."""
    import cloudpickle

    return cloudpickle.dumps(fn(pickle.loads(item)), protocol=5)


@contextmanager
def engine(scheduler: str | None = None, progress: bool | None = None) -> Iterator[Engine]:
    """An ``Engine`` closed on the way out (an interrupt included)."""
    e = Engine(scheduler, progress)
    try:
        yield e
    finally:
        e.close()
