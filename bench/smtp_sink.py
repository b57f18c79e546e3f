"""An SMTP server that accepts and discards every message: `python -m bench.smtp_sink PORT`.

It runs in a process of its own so that its CPU is not the benchmark's; the app's
worker and the raw smtplib baseline send to the same sink.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from aiosmtpd.controller import Controller


class Sink:
    """Accepts every recipient and every message; offers PIPELINING, as production relays do (the
    raw smtplib baseline does not use it, the app's worker does)."""

    def __init__(self) -> None:
        """Start with nothing received."""
        self.received = 0

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        """The EHLO reply, with PIPELINING before its last line."""
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Take the message and forget it."""
        self.received += 1
        return "250 Message accepted"


def main() -> None:
    """Serve on 127.0.0.1:PORT until SIGTERM."""
    port = int(sys.argv[1])
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    controller.start()
    print(f"smtp sink listening on {port}", flush=True)
    try:
        stopped.wait()
    finally:
        controller.stop()
        print(f"smtp sink received {sink.received} messages", flush=True)


if __name__ == "__main__":
    main()
