"""Where replications run: in this process, on a local process pool, or on Dask.

Every backend has ``run(tasks)``, an iterator of ``ReplicationRecord`` in
completion order, and ``close()``. A record depends only on its task, so the
backend changes how fast a study runs, never what it finds.
"""
from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
import threading
import uuid
from concurrent.futures import CancelledError

from ..errors import UserError, whole_number
from .pool import WorkerPool
from .records import run_replication


class BackendError(UserError, ValueError):
    """A backend cannot run the tasks: an unreachable scheduler, a pool that keeps dying."""


class _Backend:
    workers = 1  # replications that can run at once

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SerialBackend(_Backend):
    """Runs the tasks one after the other in this process (tests, debugging)."""

    def run(self, tasks):
        for task in tasks:
            yield run_replication(task)


class LocalBackend(_Backend):
    """A pool of ``workers`` processes (default: the cores this process may use).

    The workers are loky processes: each a fresh interpreter (safe when the parent
    runs threads: a Dask client, a GUI, a notebook kernel) that does not re-run the
    parent's script, so a script needs no ``if __name__ == "__main__":`` guard
    (unlike a 'spawn' pool, whose workers would start the study again). The pool
    lives until ``close()`` and is reused
    by every ``run``. A worker that dies (killed, out of memory) is replaced and
    its replication runs again, up to ``max_restarts`` deaths per ``run``
    (see ``pool.py`` for why this is not a ``ProcessPoolExecutor``).
    """

    def __init__(self, workers: int | None = None, max_restarts: int = 3):
        workers = _usable_cores() if workers is None else workers
        most = max_workers()
        self.workers = whole_number(workers, "workers", 1, None, BackendError)
        if self.workers > most:
            raise BackendError(
                f"workers must be at most {most:,} ({WORKERS_PER_CORE} per usable core of this machine, at least "
                f"{MIN_MAX_WORKERS}), got {self.workers:,}: replications are bound by the cores, so more processes "
                "run no faster, and each takes memory (about 30 MiB idle)")
        self.max_restarts = max_restarts
        self._pool = None

    def run(self, tasks):
        if self._pool is None:
            self._pool = WorkerPool(self.workers, self.max_restarts)
        for _task, record in self._pool.run(tasks, _gave_up):
            yield record

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def _gave_up(deaths: int, lost: list) -> BackendError:
    return BackendError(
        f"a worker process of the local pool died {deaths} times; "
        f"replications {sorted((t.point, t.rep) for t in lost)} could not finish"
    )


class DaskBackend(_Backend):
    """A Dask distributed cluster, by scheduler address or an existing ``Client``.

    Tasks are submitted with unique keys (never deduplicated by Dask) and the
    records come back through ``distributed.as_completed``. A task lost with a
    dead worker is rescheduled by the scheduler and yields its record once.
    Workers need the same ccsim version as this process.
    """

    def __init__(self, scheduler, connect_timeout: float = 5):
        Client = _distributed().Client

        if isinstance(scheduler, Client):
            self.client, self._owns_client = scheduler, False
            self.address = scheduler.scheduler.address
            return
        self.address = with_scheme(str(scheduler))
        if not self.address:
            raise BackendError("empty Dask scheduler address; expected e.g. tcp://host:8786")
        _probe(self.address, connect_timeout)
        _identify(self.address, connect_timeout)  # Client(timeout=...) alone can hang on a silent port
        try:
            self.client = Client(self.address, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError) as err:
            raise BackendError(
                f"could not connect to the Dask scheduler at {self.address} within {connect_timeout} s: {err}"
            ) from None
        self._owns_client = True

    @property
    def workers(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def run(self, tasks):
        from distributed import KilledWorker, as_completed

        tasks = list(tasks)
        if not tasks:
            return
        study = uuid.uuid4().hex[:12]
        keys = [f"ccsim-replication-{t.point}-{t.rep}-{study}-{i}" for i, t in enumerate(tasks)]
        # retries: one more try for a task that errs for a reason outside it
        futures = self.client.map(run_replication, tasks, key=keys, pure=False, retries=1)
        pending = as_completed(futures, loop=self.client.loop)
        del futures  # as_completed holds them until yielded; then they are released
        finished = False
        try:
            for future in pending:
                try:
                    record = future.result()
                except KilledWorker as err:
                    raise BackendError(
                        f"a replication killed every Dask worker that ran it ({err}); "
                        "check the workers' memory and logs"
                    ) from None
                except (OSError, CancelledError) as err:
                    # a lost connection cancels every future (FutureCancelledError, 'scheduler-connection-
                    # lost'), or fails the wait for one (OSError): either way the rest cannot come back
                    raise BackendError(f"lost the Dask scheduler at {self.address}: {str(err)[:300]}") from None
                yield record
            finished = True
        finally:
            if not finished:
                try:
                    self.client.cancel(list(pending.futures))
                except Exception:  # noqa: BLE001 - a lost scheduler cannot cancel; the error above is the news
                    pass
            pending.clear()

    def close(self) -> None:
        if self._owns_client:
            self.client.close()


BACKENDS = {"serial": SerialBackend, "local": LocalBackend}
_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_][A-Za-z0-9_.\-]*):\d{1,5}")


def with_scheme(address: str) -> str:
    """``host:port`` means ``tcp://host:port`` (what ``dask scheduler`` prints has the scheme)."""
    return f"tcp://{address}" if _HOST_PORT.fullmatch(address) else address


def _distributed():
    """The optional ``distributed`` package, or a BackendError saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise BackendError(
            "a Dask scheduler needs the optional package 'distributed', which is not installed here; "
            "install it with pip install 'ccsim[dask]' (in a ccsim checkout: pip install -e '.[dask]'), "
            "or run on the local process pool (no scheduler)"
        ) from None
    return distributed


def make_backend(spec) -> tuple:
    """``(backend, owned)`` from None (local pool), "serial", "local", a scheduler
    address ("tcp://host:port"), a ``distributed.Client`` or a backend object.
    ``owned`` says the caller made it and must close it.
    """
    if spec is None:
        return LocalBackend(), True
    if isinstance(spec, str):
        if spec in BACKENDS:
            return BACKENDS[spec](), True
        if "://" in spec or _HOST_PORT.fullmatch(spec):
            return DaskBackend(spec), True
        raise BackendError(f"unknown backend {spec!r}; expected {', '.join(BACKENDS)} or a Dask scheduler address "
                           "tcp://host:port (or host:port)")
    if _is_dask_client(spec):  # before the duck test: a Client has a ``run`` method of its own
        return DaskBackend(spec), True
    if hasattr(spec, "run"):
        return spec, False
    raise TypeError(f"backend must be a name, a scheduler address, a distributed.Client or a backend, got {spec!r}")


def _is_dask_client(value) -> bool:
    distributed = sys.modules.get("distributed")  # a Client exists only if distributed was imported
    return distributed is not None and isinstance(value, distributed.Client)


WORKERS_PER_CORE, MIN_MAX_WORKERS = 4, 8


def max_workers() -> int:
    """The most processes a local pool may have: ``WORKERS_PER_CORE`` per usable core, at least
    ``MIN_MAX_WORKERS``. (A pool never starts more processes than it has replications to run.)"""
    return max(MIN_MAX_WORKERS, WORKERS_PER_CORE * _usable_cores())


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def _probe(address: str, timeout: float) -> None:
    """Fail fast, naming the address, when nothing listens at a TCP scheduler address."""
    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "tcp"):
        return  # tls://, ucx://, inproc://: leave it to distributed
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise BackendError(f"bad Dask scheduler address {address!r}; expected tcp://host:port")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as err:
        raise BackendError(
            f"no Dask scheduler answers at {address}: {err.strerror or err}; "
            "start one with `dask scheduler` or check the address"
        ) from None


def _identify(address: str, timeout: float) -> None:
    """Check that a Dask scheduler answers at ``address``, with a hard deadline."""
    from distributed.core import rpc

    async def ask():
        scheduler = rpc(address, timeout=timeout)
        try:
            return await scheduler.identity()
        finally:
            await scheduler.close_rpc()

    outcome = {}

    def probe():  # in a thread of its own: the caller may already run an event loop (Jupyter)
        try:
            outcome["identity"] = asyncio.run(asyncio.wait_for(ask(), timeout))
        except Exception as err:
            outcome["error"] = err

    thread = threading.Thread(target=probe, name="ccsim-dask-probe", daemon=True)
    thread.start()
    thread.join(timeout + 2)
    kind = outcome.get("identity", {}).get("type")
    if kind != "Scheduler":
        reason = f"it is a {kind}" if kind else repr(outcome.get("error") or "no answer")
        raise BackendError(
            f"could not connect to the Dask scheduler at {address} within {timeout} s ({reason}); "
            "check the address and that `dask scheduler` runs there"
        )
