"""The C reference simulator of Erlang A (benchmarks/erlang_a_ref.c): compile and run it.

The program is built with the system C compiler (``CC``, else ``cc``) at ``-O3``, the
optimisation the core is built with, into a cache directory keyed by the source's hash,
so a benchmark session compiles it once. It is a benchmark tool, not part of the package.

``core_run`` measures the core the same way, one fresh process a run (``python
benchmarks/c_reference.py SCENARIO SEED``): a process's memory layout moves its speed by a
few per cent and then holds it, so both sides get a new layout each round and the best
round of each is compared.
"""
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "erlang_a_ref.c"
FLAGS = ["-O3"]


@dataclass(frozen=True)
class ReferenceRun:
    """One run's counts (calls arriving at or after the warm-up) and the loop's CPU seconds."""

    calls: int           # every arrival, warm-up included (the core's calls_simulated)
    offered: int
    answered: int
    abandoned: int
    within: int          # answered within the service-level threshold
    wait_answered: float  # total wait of the answered calls
    cpu_seconds: float

    @property
    def p_abandon(self) -> float:
        return self.abandoned / self.offered

    @property
    def asa(self) -> float:
        return self.wait_answered / self.answered

    @property
    def service_level(self) -> float:
        return self.within / self.offered


def compiler() -> list[str]:
    """The C compiler command: ``$CC`` if set, else ``cc``; an error naming what is missing."""
    command = shlex.split(os.environ.get("CC", "cc"))
    if not command or shutil.which(command[0]) is None:
        raise RuntimeError(f"no C compiler {command[0] if command else ''!r} on PATH (set CC)")
    return command


def build() -> Path:
    """Compile the reference (once per source version and flags) and return the binary's path."""
    command = compiler()
    key = hashlib.sha256(SOURCE.read_bytes() + " ".join(command + FLAGS).encode()).hexdigest()[:16]
    binary = Path(tempfile.gettempdir()) / f"ccsim-erlang-a-ref-{os.getuid()}-{key}"
    if not binary.exists():
        partial = binary.with_name(binary.name + f".{os.getpid()}")
        subprocess.run([*command, *FLAGS, "-o", str(partial), str(SOURCE), "-lm"], check=True)
        partial.replace(binary)  # atomic: a concurrent build never leaves half a binary
    return binary


def run(rate: float, mean_handle: float, mean_patience: float, agents: int, warmup: float,
        horizon: float, threshold: float, seed: int) -> ReferenceRun:
    """Run the reference once on an Erlang A model (arrivals stop at ``horizon``; it drains)."""
    args = [rate, mean_handle, mean_patience, agents, warmup, horizon, threshold, seed]
    out = subprocess.run([str(build()), *map(str, args)], check=True, capture_output=True, text=True).stdout
    fields = dict(item.split("=") for item in out.split())
    return ReferenceRun(
        calls=int(fields["calls"]), offered=int(fields["offered"]), answered=int(fields["answered"]),
        abandoned=int(fields["abandoned"]), within=int(fields["within"]),
        wait_answered=float(fields["wait_answered"]), cpu_seconds=float(fields["cpu_seconds"]),
    )


def scenario_parameters(scenario) -> dict:
    """The Erlang A parameters of a one-type, one-team scenario (scenarios/erlang_a.yaml)."""
    (call_type,) = scenario.call_types
    (team,) = scenario.agents
    return dict(
        rate=call_type.arrivals.rate, mean_handle=call_type.handle_time.mean,
        mean_patience=call_type.patience.mean, agents=team.count, warmup=scenario.warmup,
        horizon=scenario.horizon, threshold=scenario.service_level.threshold,
    )


def core_run(scenario: str, seed: int) -> tuple[int, float]:
    """The core on ``scenario`` once, in a fresh process: (calls simulated, thread CPU
    seconds of ``Simulation.run`` alone; loading, compiling and set-up excluded)."""
    out = subprocess.run([sys.executable, __file__, str(scenario), str(seed)], check=True,
                         capture_output=True, text=True).stdout
    fields = dict(item.split("=") for item in out.split())
    return int(fields["calls"]), float(fields["cpu_seconds"])


def _core_main(scenario: str, seed: int) -> None:
    import time

    import ccsim
    from ccsim.api import replication_seed
    from ccsim.compile import compile_scenario
    from ccsim.engines.core import simulation

    sim = simulation(compile_scenario(ccsim.load_scenario(scenario)), replication_seed(seed, 0))
    started = time.thread_time()
    sim.run()
    print(f"calls={sim.calls_simulated} cpu_seconds={time.thread_time() - started!r}")


if __name__ == "__main__":
    _core_main(sys.argv[1], int(sys.argv[2]))
