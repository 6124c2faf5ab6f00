"""A process pool that survives workers being killed.

Why not ``concurrent.futures.ProcessPoolExecutor``: its workers share one result
pipe, so a worker killed while writing a (large) record leaves half a message
in it and the executor waits for the rest forever. Here every worker has its
own pipe: when a worker dies, the parent's read on that pipe ends (a complete
message, or EOF), never hangs, and the task runs again on a fresh worker.
"""
from __future__ import annotations

import multiprocessing
from collections import deque
from multiprocessing.connection import wait

from .mainguard import RERUN_EXIT
from .records import run_replication


def _serve(connection) -> None:
    """Worker loop: run each task received, send back ("ok", record) or ("error", exception)."""
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if task is None:
            return
        try:
            outcome = ("ok", run_replication(task))
        except Exception as err:  # noqa: BLE001 - shipped to the parent, raised there
            outcome = ("error", err)
        try:
            connection.send(outcome)
        except Exception as err:  # noqa: BLE001 - e.g. an exception that does not pickle
            connection.send(("error", RuntimeError(f"worker could not send its result: {err!r}")))


class _Worker:
    """One process with its own duplex pipe and at most one task in hand."""

    def __init__(self, context):
        self.connection, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()  # only the worker holds its end: its death closes the pipe
        self.task = None

    def give(self, task) -> bool:
        try:
            self.connection.send(task)
        except (OSError, ValueError):  # the worker is gone
            return False
        self.task = task
        return True

    def receive(self):
        """The worker's outcome, or None if it died without one (partial message, or nothing)."""
        if not self.connection.poll():
            return None
        try:
            return self.connection.recv()
        except (EOFError, OSError):
            return None

    def stop(self, timeout: float = 2.0) -> None:
        try:
            self.connection.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


class WorkerPool:
    """``size`` spawned worker processes, reused across ``run`` calls until ``close``."""

    def __init__(self, size: int, max_restarts: int = 3):
        self.size = size
        self.max_restarts = max_restarts
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._on_rerun = None

    def run(self, tasks, on_give_up, on_rerun=None):
        """Yield ``(task, record)`` in completion order; tasks are read lazily.

        A task whose worker dies runs again on a new worker; after
        ``max_restarts`` deaths in one run, ``on_give_up(deaths, lost_tasks)`` is
        raised; a worker that exits with ``RERUN_EXIT`` (it was re-running the
        parent's unguarded script) raises ``on_rerun()`` at once.
        """
        self._on_rerun = on_rerun
        source = iter(tasks)
        again = deque()  # tasks lost with a dead worker, run first
        deaths = 0
        while len(self._workers) < self.size:
            self._workers.append(_Worker(self._context))
        try:
            while True:
                deaths = self._hand_out(source, again, deaths, on_give_up)
                busy = [w for w in self._workers if w.task is not None]
                if not busy:
                    return
                ready = set(wait([w.connection for w in busy] + [w.process.sentinel for w in busy]))
                for worker in busy:
                    if worker.connection not in ready and worker.process.sentinel not in ready:
                        continue
                    task, outcome = worker.task, worker.receive()
                    if outcome is None:
                        again.appendleft(task)
                        deaths = self._replace(worker, deaths, [task], on_give_up)
                        continue
                    worker.task = None
                    if not worker.process.is_alive():  # sent its record, then died
                        deaths = self._replace(worker, deaths, [], on_give_up)
                    kind, value = outcome
                    if kind == "error":
                        raise value
                    yield task, value
        finally:
            # Workers still busy (the caller stopped early, or an error) would answer
            # into the next run: stop them now.
            for worker in [w for w in self._workers if w.task is not None]:
                self._workers.remove(worker)
                worker.process.kill()
                worker.stop()

    def _hand_out(self, source, again: deque, deaths: int, on_give_up) -> int:
        """Give every idle worker a task (lost ones first)."""
        i = 0
        while i < len(self._workers):
            worker = self._workers[i]
            if worker.task is None:
                task = again.popleft() if again else next(source, None)
                if task is None:
                    break
                if not worker.give(task):
                    again.appendleft(task)
                    deaths = self._replace(worker, deaths, [task], on_give_up)
                    continue  # index i now holds the next worker; the new one is last
            i += 1
        return deaths

    def _replace(self, worker: _Worker, deaths: int, lost: list, on_give_up) -> int:
        self._workers.remove(worker)
        worker.stop(timeout=0.1)
        if worker.process.exitcode == RERUN_EXIT and self._on_rerun is not None:
            raise self._on_rerun()
        deaths += 1
        if deaths > self.max_restarts:
            raise on_give_up(deaths, lost)
        self._workers.append(_Worker(self._context))
        return deaths

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []
