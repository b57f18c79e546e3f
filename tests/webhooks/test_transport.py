"""The post to an endpoint is bounded as a whole: an endpoint that answers a byte at a time cannot
hold a worker past WEBHOOK_TIMEOUT_SECONDS (each read alone would wait that long, again and again)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from campaign.webhooks import transport

LOOPBACK = transport.allowed_networks("127.0.0.1/32")


@pytest.fixture
def dripping() -> Iterator[str]:
    """An endpoint that reads the post, then answers a status line and a header a byte every 0.2 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not stop.wait(0.2):
                try:
                    connection.sendall(b"a")
                except OSError:  # the client cut the exchange
                    return

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    stop.set()
    listener.close()
    server.join(timeout=5)


def test_an_endpoint_that_drips_its_answer_is_cut_when_the_time_is_up(dripping):
    target = transport.check(dripping, LOOPBACK, is_testing=True)
    started = time.monotonic()

    with pytest.raises(TimeoutError, match="no whole answer within 1 s"):
        transport.post(target, b"{}", {}, timeout=1.0)

    # Each byte came well within the 1 s a read may wait: only the bound on the whole cut it.
    assert time.monotonic() - started < 2.5


def test_an_endpoint_that_answers_in_time_is_delivered():
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    target = transport.check(f"http://127.0.0.1:{listener.getsockname()[1]}/hook", LOOPBACK, is_testing=True)

    answer = transport.post(target, b"{}", {}, timeout=1.0)

    listener.close()
    assert answer.is_success and answer.status == 204
