"""The local process pool: loky's executor, plus re-running what a dead worker took with it.

Why loky and not ``concurrent.futures.ProcessPoolExecutor``: the standard
executor's workers share one result pipe, so a worker killed while writing a
(large) record leaves half a message in it and the executor can wait for the
rest forever. loky watches every worker's sentinel and marks the executor
broken instead (checked: a worker SIGKILLed while sending a 400 MB result gives
``TerminatedWorkerError`` in 0.2 s). A broken executor fails every task in
flight, so this pool puts them back, starts a fresh executor and counts one
death; after ``max_restarts`` deaths in one ``run`` it gives up.
"""
from __future__ import annotations

import os
from collections import deque
from itertools import chain, islice

from .records import run_replication


class WorkerPool:
    """Up to ``size`` worker processes, reused across ``run`` calls until ``close``.

    A run starts no more processes than it has tasks (``width``): 4 replications on a pool of
    100 start 4 processes; a later run with more tasks grows the pool, up to ``size``.
    """

    def __init__(self, size: int, max_restarts: int = 3):
        self.size = size
        self.max_restarts = max_restarts
        self.width = 0  # processes of the executor (0: none yet)
        self._executor = None

    def run(self, tasks, on_give_up):
        """Yield ``(task, record)`` in completion order; tasks are read lazily (at most ``size``
        ahead, to know how many processes the run needs).

        Tasks lost with a dead worker run again; after ``max_restarts`` deaths
        ``on_give_up(deaths, lost_tasks)`` is raised.
        """
        from loky import FIRST_COMPLETED, BrokenProcessPool, wait

        source = iter(tasks)
        head = list(islice(source, self.size))
        wanted = max(1, len(head))
        if wanted > self.width:  # between runs nothing is running: a wider executor replaces the narrow one
            self.close()
            self.width = wanted
        source = chain(head, source)
        again = deque()  # tasks lost with a broken executor, run first
        running = {}  # future -> task
        deaths = 0
        try:
            while True:
                while len(running) < self.width:
                    task = again.popleft() if again else next(source, None)
                    if task is None:
                        break
                    running[self._pool().submit(run_replication, task)] = task
                if not running:
                    return
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                broken = False
                for future in finished:
                    task = running.pop(future)
                    try:
                        record = future.result()
                    except BrokenProcessPool:  # a worker died (TerminatedWorkerError) or the executor broke
                        again.append(task)
                        broken = True
                        continue
                    yield task, record
                if broken:
                    again.extend(running.values())  # the broken executor failed them all
                    running.clear()
                    self._discard()
                    deaths += 1
                    if deaths > self.max_restarts:
                        raise on_give_up(deaths, list(again))
        finally:
            if running:  # the caller stopped early, or an error: their results would answer the next run
                self._discard()

    def _pool(self):
        if self._executor is None:
            from loky import ProcessPoolExecutor

            # loky's workers do not notice their parent's death: those of a study killed with
            # kill -9 stayed for good (blocked writing a result nobody reads), holding their memory
            from ._parent_watch import exit_with_parent

            self._executor = ProcessPoolExecutor(max_workers=self.width, initializer=exit_with_parent,
                                                 initargs=(os.getpid(),))
        return self._executor

    def _discard(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, kill_workers=True)
            self._executor = None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
