"""Catch a study started by a script without ``if __name__ == "__main__":``.

The local pool starts its workers with 'spawn': each worker imports the
parent's main script again (as ``__mp_main__``). A script that starts a study
from its top level would start it again in every worker, which then dies
while starting; the pool would retry and give up with a puzzling message.
Two checks say what to do instead:

- in the parent, before anything is created: the call comes from the top level
  of the main script and that line is not inside an ``if __name__ ...`` block;
- in a worker re-running the script (a case the first check missed): it exits
  at once with ``RERUN_EXIT``, and the parent raises the same explanation.
"""
from __future__ import annotations

import ast
import multiprocessing
import os
import sys
from typing import Optional

RERUN_EXIT = 87  # exit status of a worker that found itself re-running the parent's script


def explanation(where: str) -> str:
    return (
        f"{where} starts a study on the local process pool from the top level of the script, "
        "without a main guard; every worker process re-runs the script, so the study would start "
        'again in each of them. Put the call under `if __name__ == "__main__":` (indent the lines '
        "that run the study below it), or use backend=\"serial\" to run in this process"
    )


def check(error_class) -> None:
    """Raise ``error_class(explanation)`` in the parent, or exit a worker re-running the script."""
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise SystemExit(RERUN_EXIT)  # the parent names the cause when it sees this status
    found = unguarded_call()
    if found is not None:
        path, line = found
        raise error_class(explanation(f"{path}, line {line},"))


def unguarded_call() -> Optional[tuple]:
    """``(script, line)`` of the top-level line of the main script that led here,
    if it is not inside an ``if __name__ ...`` block; None otherwise (also for
    an interactive session, a notebook or ``python -c``, which workers do not re-run)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not os.path.isfile(path):
        return None
    frame = sys._getframe(1)
    while frame is not None:
        if (frame.f_code.co_name == "<module>" and frame.f_globals is vars(main)
                and os.path.abspath(frame.f_code.co_filename) == os.path.abspath(path)):
            return None if _guarded(path, frame.f_lineno) else (path, frame.f_lineno)
        frame = frame.f_back
    return None


def _guarded(path: str, line: int) -> bool:
    """True when ``line`` lies in a top-level block whose condition mentions ``__name__``
    (lenient on purpose: a false alarm would stop a correct script). Unreadable: True."""
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return True
    for node in tree.body:
        if isinstance(node, ast.If) and any(isinstance(n, ast.Name) and n.id == "__name__" for n in ast.walk(node.test)):
            if node.body[0].lineno <= line <= (node.end_lineno or line):
                return True
    return False
