"""A plain kill (SIGTERM) stops a build the way Ctrl-C does, whether it runs in a terminal or in the background.

Each time Dagster runs a job in this process it points SIGTERM at whatever SIGINT does (dagster._utils.interrupts,
"for k8s"). A job started in the background of a non-interactive shell ignores SIGINT (POSIX), so after its first
stage such a build ignored SIGTERM too, and only SIGKILL stopped it, leaving its kernels, broker and workers
behind. The entry points call ``stop_on_sigterm`` after every in-process run.
"""

from __future__ import annotations

import signal


def raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def stop_on_sigterm() -> None:
    """From now on SIGTERM raises KeyboardInterrupt, so the build's ``finally`` blocks stop what it started."""
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
