"""``python -m bot playground``: the emulator, the simulator and the real bot, in one command.

Nothing to configure: a Discord-like page on http://127.0.0.1:8080 where one person acts as
several members of a test server. See ``launcher.py``; the page lives in ``static/``.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """Run the playground until Ctrl-C or SIGTERM; return the exit status."""
    # Imported here so that serving the page's files (which imports this package) stays light.
    from bot.playground.launcher import run

    return run(argv)
