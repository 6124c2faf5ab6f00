"""A pool worker's watch on its parent (a module of its own: a worker imports it before its
first task, and it imports nothing of ccsim)."""
from __future__ import annotations

import os

PARENT_POLL_SECONDS = 1.0  # how often a worker looks whether the study's process is still there


def exit_with_parent(parent: int) -> None:
    """Worker initializer: a thread that ends the worker once its parent, the study's process,
    has gone (the worker is then adopted: its parent id changes). Nothing is lost: replications
    are stored by the parent, and the study resumes."""
    import threading
    import time

    def watch():
        while True:
            time.sleep(PARENT_POLL_SECONDS)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="ccsim-parent-watch", daemon=True).start()
