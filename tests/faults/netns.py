"""Machines of a test's own: Linux network namespaces cabled to one switch, on loopback-range addresses.

Each host is a network namespace with one interface, `eth0`, whose other end
is a port of a bridge in a namespace of its own (the switch). Nothing is
added to the machine's own namespace: no interface, no address, no route, so
the test can neither disturb the machine's network nor be reached from it.

The addresses are in 127.231.0.0/24, a loopback range. Linux routes 127/8 to
`lo` and drops it on any other interface as martian, so each host (a
namespace of its own, with its own `lo`) narrows its `lo` to 127.0.0.1/32 and
sets `route_localnet`, which lets 127/8 travel over its `eth0`. Outside these
namespaces the range still means the machine itself, where nothing of the
test listens, so no packet of the test can ever leave the machine.

Cutting a host off sets its switch port down: as a pulled cable, its packets
are dropped without an answer, and its processes go on running, unaware.
The test process reaches the hosts by moving one of its threads into a
namespace (`Host.call`, `enter`): a socket belongs to the namespace of the
thread that made it, and threads started from there inherit it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tests.support.workers import ROOT

SUBNET = "127.231.0"
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
T = TypeVar("T")


def ip(*args: str) -> None:
    """Run `ip` (iproute2); fail with what it said."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if done.returncode:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def enter(namespace: str) -> None:
    """Move the calling thread (and only it) into a network namespace."""
    descriptor = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        if _libc.setns(descriptor, CLONE_NEWNET) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"setns({namespace}): {os.strerror(error)}")
    finally:
        os.close(descriptor)


@dataclass
class Host:
    """One machine: a namespace, its address on the switch, and the switch port its cable is in."""

    name: str
    namespace: str
    address: str
    port: str

    def command(self, *args: str) -> list[str]:
        """A command line that runs a program on this host."""
        return ["ip", "netns", "exec", self.namespace, *args]

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run a function on this host (in a thread of the test process inside the namespace)."""
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                enter(self.namespace)
                outcome["value"] = function(*args)
            except BaseException as error:  # handed to the caller
                outcome["error"] = error

        thread = threading.Thread(target=run, name=f"on-{self.name}")
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def wait_for_port(self, address: str, port: int, timeout: float = 60.0) -> None:
        """Wait until a TCP port answers, as seen from this host."""

        def knock() -> None:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    socket.create_connection((address, port), timeout=0.5).close()
                    return
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)

        self.call(knock)


@dataclass
class Network:
    """A switch and the hosts cabled to it; `remove` takes every namespace and process away again."""

    tag: str
    hosts: list[Host] = field(default_factory=list)
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.switch = f"campaign-{self.tag}-switch"
        ip("netns", "add", self.switch)
        try:
            ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
            ip("-n", self.switch, "link", "set", "br0", "up")
        except RuntimeError:
            self.remove()
            raise

    def add_host(self, name: str, number: int) -> Host:
        """A new host at 127.231.0.<number>, cabled to the switch."""
        host = Host(name, f"campaign-{self.tag}-{name}", f"{SUBNET}.{number}", f"port{number}")
        ip("netns", "add", host.namespace)
        self.hosts.append(host)
        # Both ends are made where they belong: nothing passes through the machine's namespace.
        ip("-n", self.switch, "link", "add", host.port, "type", "veth", "peer", "name", "eth0",
           "netns", host.namespace)  # fmt: skip
        ip("-n", self.switch, "link", "set", host.port, "master", "br0", "up")
        inside = ("-n", host.namespace)
        ip(*inside, "link", "set", "lo", "up")
        # 127.0.0.1 alone stays on lo, so that the rest of 127/8 may be routed to the switch.
        ip(*inside, "address", "del", "127.0.0.1/8", "dev", "lo")
        ip(*inside, "address", "add", "127.0.0.1/32", "dev", "lo")
        for interface in ("all", "eth0"):
            ip(
                "netns",
                "exec",
                host.namespace,
                "sysctl",
                "-qw",
                f"net.ipv4.conf.{interface}.route_localnet=1",
            )
        ip(*inside, "address", "add", f"{host.address}/24", "dev", "eth0")
        ip(*inside, "link", "set", "eth0", "up")
        return host

    def cut(self, host: Host) -> None:
        """Cut a host off the network (its switch port down), its processes left running."""
        ip("-n", self.switch, "link", "set", host.port, "down")

    def start(self, host: Host, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        """Start a program on a host, in a process group of its own, its output in a log file."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as output:
            child = subprocess.Popen(
                host.command(*args), env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT,
                start_new_session=True,
            )  # fmt: skip
        self.children.append(child)
        return child

    def remove(self) -> None:
        """Kill every process left in the hosts and delete the namespaces (and so the cables and switch)."""
        for child in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
        for host in self.hosts:
            # Whatever else runs there was started by this test (a daemon such as the PostgreSQL server).
            pids = subprocess.run(["ip", "netns", "pids", host.namespace], capture_output=True, text=True)
            for pid in pids.stdout.split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
        for child in self.children:
            child.wait()
        for namespace in [host.namespace for host in self.hosts] + [self.switch]:
            with contextlib.suppress(RuntimeError):
                ip("netns", "del", namespace)
