"""Six machines, one of each kind cut off mid-surge: signing goes on, every email is sent once, counts exact.

The machines are network namespaces the test makes and cables to a switch of
its own (tests/faults/netns.py): nginx in front of two web hosts (gunicorn),
two worker hosts (a Celery worker and a beat each: the second beat stands
by), a database host (a private PostgreSQL cluster) and a broker host (a
private Redis). The mail server (the test's SMTP capture) and the signers
(threads of the test process) are two more hosts on the same switch.

Addresses: 127.231.0.0/24, a loopback range, as the issue asks. Each host
has a `lo` of its own narrowed to 127.0.0.1/32 and `route_localnet` set, so
the rest of 127/8 travels over its cable; nothing is added to the machine's
own namespace, where 127.231.0.0/24 still means the machine itself. No
packet of the test can leave the machine, and no address of the test can
clash with a network the machine is on (a 10.x range could).

Signers come in bursts of 20 a second, 400 in all. Mid-surge (once a third
were answered, at a moment when requests are under way) one web host and one
worker host are cut off: their switch ports go down, as pulled cables; their
processes run on, unaware. What the platform promises then:
- Signing goes on through the other web host. The only answers a signer
  sees fail are those of requests nginx had already passed to the cut web
  host: nginx does not pass a POST it has sent to a second host (it might
  have been applied), so it answers 504 after `proxy_read_timeout`. Each
  such signer tries again, as a person would, and their signature then
  exists exactly once. nginx opens a connection per request to the web
  hosts (no upstream keepalive): a request written into a kept-alive
  connection to a host that has gone would fail the same way, so requests
  made after the cut could fail too.
- Every confirmation owed is sent, each outbox row's Message-ID received
  once. A signer whose first try was stored before its answer was lost signs
  again, which owes a second confirmation (a fresh link, by design); that is
  a second message, not a duplicate. A message the cut worker had handed to
  the SMTP server without recording it is sent again with the same
  Message-ID: at most one such duplicate per pool process of the cut worker
  (the rule of test_worker_killed.py).
- The count (count.json, folded from the signatures) equals the confirmed
  signatures, exactly.

What lets the database host end a cut host's sessions: a host cut off never
closes its connections, so PostgreSQL learns that their sessions are gone only
from TCP. Left to the system's TCP timeouts it would keep them, and their locks
(a half-done signature's row lock, a worker's claim on messages, the running
beat's lock), for about 15 minutes with unacknowledged data, 2 hours idle. The
app sets each of its sessions' keepalives and user timeout itself
(DATABASE_DEAD_PEER_SECONDS, campaign/database.py): the database host here
runs with PostgreSQL's defaults, so the test proves the app's own setting.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller

from tests.faults.live import (
    BIN,
    Browser,
    client_address,
    csrf_of,
    embedded_environment,
    prepare,
    signature_fields,
)
from tests.faults.netns import Host, Network, enter
from tests.faults.postgres import Cluster, private_cluster
from tests.faults.stack import FaultyHandler, FaultySmtp, celery_args

# A minute or more: part of `make test` all the same.
pytestmark = pytest.mark.slow

SIGNATURES = int(os.environ.get("MULTI_HOST_SIGNATURES", "400"))
# Signers arrive in bursts (a share, a broadcast): this many each second, so 400 take 20 s.
SIGNERS_PER_SECOND = 20
CONCURRENCY = 12
# The cut comes once this many signatures were answered, while at least IN_FLIGHT_AT_CUT are under way.
CUT_AFTER = SIGNATURES // 3
IN_FLIGHT_AT_CUT = 4
POOL_PROCESSES = 2
SLUG = "recognize-artsakh"
CAMPAIGN = f"/campaigns/{SLUG}"
WEB_PORT = 8000
# Where each machine is: 127.231.0.<number>.
HOSTS = {
    "proxy": 10, "web1": 11, "web2": 12, "worker1": 21, "worker2": 22,
    "database": 31, "broker": 32, "mail": 33, "signers": 40,
}  # fmt: skip
# How soon the database host ends the sessions of a host that is gone (the app's
# DATABASE_DEAD_PEER_SECONDS: probes after a third of it, given up after all of it).
DEAD_PEER_SECONDS = 6
# Longer than the database host takes to end a cut host's sessions: a signer
# trying again after the cut may wait on the row lock the cut host held.
PROXY_READ_TIMEOUT_SECONDS = 20
NGINX_CONF = """
daemon off;
# Its files are in the test's folder, which is root's alone.
user root;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
  log_format attempts '$msec|$request_time|$status|$http_x_attempt|$upstream_addr|$upstream_status';
  access_log {folder}/access.log attempts;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  upstream web {{
    server {web1}:{port} max_fails=1 fail_timeout=10s;
    server {web2}:{port} max_fails=1 fail_timeout=10s;
  }}
  server {{
    listen {listen}:80;
    location / {{
      proxy_pass http://web;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_connect_timeout 1s;
      proxy_send_timeout {read_timeout}s;
      proxy_read_timeout {read_timeout}s;
      proxy_next_upstream error timeout;
    }}
  }}
}}
"""


class MailHost(FaultySmtp):
    """The test's SMTP server, listening on the mail host's address (its thread runs in that namespace)."""

    def __init__(self, host: Host, port: int, delay: float) -> None:
        super().__init__(port, delay=delay)
        self.host = host
        self._controller = Controller(FaultyHandler(self), hostname=host.address, port=port)

    def start(self) -> None:
        """Start listening, from inside the mail host (the server's thread inherits its namespace)."""
        self.host.call(super().start)

    def stop(self) -> None:
        """Stop listening."""
        self.host.call(super().stop)


@dataclass
class Site:
    """The machines, the processes on them, and what the test reads: mail, logs, the database."""

    network: Network
    hosts: dict[str, Host]
    smtp: MailHost
    cluster: Cluster
    folder: Path

    @property
    def front(self) -> str:
        """nginx's address."""
        return self.hosts["proxy"].address

    def query(self, sql: str, *params: object) -> list[tuple]:
        """Read the database as its operator would, over its Unix socket (not over the test's network)."""
        with psycopg.connect(self.cluster.socket_url("campaign")) as connection:
            return connection.execute(sql, params).fetchall()

    def signers(self) -> ThreadPoolExecutor:
        """CONCURRENCY threads on the signers' host."""
        return ThreadPoolExecutor(CONCURRENCY, initializer=enter, initargs=(self.hosts["signers"].namespace,))

    def log(self, name: str) -> str:
        """A process's log so far."""
        return (self.folder / f"{name}.log").read_text(errors="replace")


def gunicorn(address: str) -> list[str]:
    """The web server as `make run` starts it (campaign/supervise.py), on a web host's address."""
    return [
        str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"{address}:{WEB_PORT}",
        "--workers", "2", "--threads", "4", "--graceful-timeout", "5", "--access-logfile", "-",
        "campaign:create_app()",
    ]  # fmt: skip


def wait_for_log(site: Site, name: str, text: str, timeout: float = 60.0) -> None:
    """Wait until a process's log says something."""
    deadline = time.monotonic() + timeout
    while text not in site.log(name):
        assert time.monotonic() < deadline, f"{name} did not say {text!r}:\n{site.log(name)[-3000:]}"
        time.sleep(0.1)


def ready(host: Host, address: str, port: int, timeout: float = 60.0) -> None:
    """Wait until a web server answers /readyz 200 (its database and broker answer), seen from a host."""

    def ask() -> None:
        deadline = time.monotonic() + timeout
        last: object = None
        while True:
            browser = Browser(port, timeout=5, host=address)
            try:
                last = answer = browser.get("/readyz")
                if answer.status == 200:
                    return
            except OSError as error:
                last = error
            finally:
                browser.close()
            assert time.monotonic() < deadline, f"{address}:{port} was not ready within {timeout} s: {last}"
            time.sleep(0.2)

    host.call(ask)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The machines and everything on them; all of it (namespaces, processes, files) removed afterwards."""
    with ExitStack() as cleanup:
        network = Network(uuid.uuid4().hex[:6])
        cleanup.callback(network.remove)
        hosts = {name: network.add_host(name, number) for name, number in HOSTS.items()}
        database, broker, mail = hosts["database"], hosts["broker"], hosts["mail"]

        cluster = cleanup.enter_context(private_cluster(database.address, 5432, database.namespace, {}))
        cluster.create_database("campaign")
        # Protected mode would let only 127.0.0.1 in; the other hosts of the test's network must reach it.
        redis_server = ["redis-server", "--bind", broker.address, "--port", "6379", "--protected-mode", "no",
                        "--save", "", "--appendonly", "no"]  # fmt: skip
        network.start(broker, redis_server, {}, tmp_path / "redis.log")
        broker.wait_for_port(broker.address, 6379)
        smtp = MailHost(mail, 25, delay=0.05)
        smtp.start()
        cleanup.callback(smtp.stop)

        env = embedded_environment(
            tmp_path / "instance",
            DATABASE_URL=cluster.url("campaign"),
            REDIS_URL=f"redis://{broker.address}:6379/0",
            SMTP_URL=f"smtp://{mail.address}:25",
            BASE_URL=f"http://{hosts['proxy'].address}",
            # The signers' own addresses (as a CDN in front would give them), then nginx's hop.
            TRUSTED_PROXY_HOPS="2",
            REMAP_SIGTERM="SIGQUIT",
            DATABASE_DEAD_PEER_SECONDS=str(DEAD_PEER_SECONDS),
        )
        # Migrations, keys and the demo campaign, by the operator over the database's socket.
        prepare({**env, "DATABASE_URL": cluster.socket_url("campaign")})
        site = Site(network, hosts, smtp, cluster, tmp_path)
        start_web_hosts(site, env)
        start_worker_hosts(site, env)
        yield site


def start_web_hosts(site: Site, env: dict[str, str]) -> None:
    """gunicorn on both web hosts, and nginx in front of them; wait until a signer can reach the site."""
    hosts, network, folder = site.hosts, site.network, site.folder
    for name in ("web1", "web2"):
        network.start(hosts[name], gunicorn(hosts[name].address), env, folder / f"{name}.log")
    for name in ("web1", "web2"):
        ready(hosts["proxy"], hosts[name].address, WEB_PORT)
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(
        folder=folder, listen=hosts["proxy"].address, web1=hosts["web1"].address, web2=hosts["web2"].address,
        port=WEB_PORT, read_timeout=PROXY_READ_TIMEOUT_SECONDS,
    ))  # fmt: skip
    nginx = ["/usr/sbin/nginx", "-c", str(conf), "-p", str(folder), "-e", str(folder / "error.log")]
    network.start(hosts["proxy"], nginx, env, folder / "nginx.log")
    ready(hosts["signers"], hosts["proxy"].address, 80)


def start_worker_hosts(site: Site, env: dict[str, str]) -> None:
    """A worker and a beat on each worker host: the first one's beat runs the schedule, the other waits."""
    for name in ("worker1", "worker2"):
        host, folder = site.hosts[name], site.folder
        site.network.start(host, celery_args("worker", POOL_PROCESSES, folder / f"{name}.schedule"), env,
                           folder / f"{name}.log")  # fmt: skip
        site.network.start(host, celery_args("beat", 1, folder / f"beat-{name}.schedule"), env,
                           folder / f"beat-{name}.log")  # fmt: skip
        wait_for_log(site, name, " ready.")
        wait_for_log(site, f"beat-{name}", "beat lock taken" if name == "worker1" else "stands by")


@dataclass
class Attempt:
    """One POST of a sign form, and what the signer saw."""

    number: int
    attempt: int
    started_at: float
    outcome: str


@dataclass
class Surge:
    """Signers through nginx, SIGNERS_PER_SECOND arriving each second, each trying again after a failure."""

    site: Site
    started_at: float = field(default_factory=time.monotonic)
    attempts: list[Attempt] = field(default_factory=list)
    answered: int = 0
    answered_at_cut: int = 0
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sign(self, number: int, local: threading.local) -> None:
        """Sign once as signer `number`; after a failed answer, try again as a person would."""
        time.sleep(max(0.0, self.started_at + number // SIGNERS_PER_SECOND - time.monotonic()))
        if not hasattr(local, "browser"):
            local.browser = Browser(80, timeout=60, host=self.site.front)
            local.csrf = csrf_of(local.browser.get(CAMPAIGN).body)
        for attempt in range(1, 5):
            started_at = time.time()
            with self.lock:
                self.in_flight += 1
            try:
                answer = local.browser.post(
                    f"{CAMPAIGN}/sign",
                    signature_fields(number, local.csrf),
                    headers={"X-Forwarded-For": client_address(number), "X-Attempt": f"{number}.{attempt}"},
                )
                outcome = str(answer.status)
            except (OSError, http.client.HTTPException) as error:
                # No answer, or half of one (the host was cut mid-answer): the signer tries again.
                local.browser.close()
                outcome = type(error).__name__
            with self.lock:
                self.in_flight -= 1
                self.attempts.append(Attempt(number, attempt, started_at, outcome))
                self.answered += outcome == "303"
            if outcome == "303":
                return
            time.sleep(1)
        raise AssertionError(f"signer {number} could not sign in 4 tries")

    def run(self, numbers: range, cut: int, on_cut: Callable[[], None]) -> float:
        """Sign for every number; call on_cut once `cut` signatures were answered; return when it had cut."""
        local = threading.local()
        self.started_at = time.monotonic()
        with self.site.signers() as pool:
            futures = [pool.submit(self.sign, number, local) for number in numbers]
            while self.answered < cut or self.in_flight < IN_FLIGHT_AT_CUT:
                failed = [f.exception() for f in futures if f.done() and f.exception()]
                assert not failed, failed
                assert self.answered < SIGNATURES / 2, "no moment with requests in flight to cut in"
                time.sleep(0.02)
            on_cut()
            cut_at = time.time()
            self.answered_at_cut = self.answered
            for future in futures:
                future.result()
        return cut_at


def nginx_lines(site: Site) -> dict[str, tuple[float, str, str]]:
    """nginx's access log by X-Attempt: (when the request came, status, the hosts it was passed to)."""
    lines = {}
    for line in site.log("access").splitlines():
        msec, took, status, attempt, upstreams, _ = line.split("|")
        if attempt != "-":
            lines[attempt] = (float(msec) - float(took), status, upstreams)
    return lines


def confirm_everyone(site: Site, addresses: list[str]) -> Counter[str]:
    """Open the link of each signer's first confirmation email and press the button; count the answers."""
    pattern = re.compile(rf"http://{re.escape(site.front)}(/confirm/\S+)")
    local = threading.local()

    def confirm(address: str) -> str:
        if not hasattr(local, "browser"):
            local.browser = Browser(80, timeout=60, host=site.front)
        body = str(site.smtp.to(address)[0].get_content())
        link = pattern.search(body)
        assert link, body
        path = link.group(1)
        page = local.browser.get(path)
        return str(local.browser.post(path, {"csrf_token": csrf_of(page.body)}).status)

    with site.signers() as pool:
        return Counter(pool.map(confirm, addresses))


def wait_for(what: str, predicate: Callable[[], bool], timeout: float) -> None:
    """Poll until the predicate holds; fail naming what did not happen."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.5)


def count_json(site: Site) -> int:
    """The count the campaign's count.json shows, through nginx."""

    def read() -> int:
        browser = Browser(80, timeout=30, host=site.front)
        try:
            return int(json.loads(browser.get(f"{CAMPAIGN}/count.json").body)["count"])
        finally:
            browser.close()

    return site.hosts["signers"].call(read)


def test_cutting_off_a_web_host_and_a_worker_host_mid_surge_loses_nothing(site: Site) -> None:
    counted_before = count_json(site)
    surge = Surge(site)

    def cut() -> None:
        site.network.cut(site.hosts["web1"])
        site.network.cut(site.hosts["worker1"])

    started = time.monotonic()
    cut_at = surge.run(range(SIGNATURES), CUT_AFTER, cut)
    signed_in = time.monotonic() - started

    # Signing went on through the other web host: the only failures were requests in flight on the cut one.
    failures = [a for a in surge.attempts if a.outcome != "303"]
    seen_by_nginx = nginx_lines(site)
    web1 = f"{site.hosts['web1'].address}:{WEB_PORT}"
    for failure in failures:
        came_at, status, upstreams = seen_by_nginx[f"{failure.number}.{failure.attempt}"]
        # (The log's times are to the millisecond.)
        assert upstreams == web1 and came_at <= cut_at + 0.002, (failure, status, upstreams, came_at - cut_at)
    assert len(failures) <= CONCURRENCY
    # Most of the surge came after the cut, and every signer was answered 303 once.
    assert surge.answered_at_cut < SIGNATURES / 2
    assert Counter(a.number for a in surge.attempts if a.outcome == "303") == Counter(range(SIGNATURES))
    web2 = f"{site.hosts['web2'].address}:{WEB_PORT}"
    served_after_cut = Counter(
        upstreams.rsplit(", ", 1)[-1] for came_at, status, upstreams in seen_by_nginx.values()
        if came_at > cut_at and status == "303"
    )  # fmt: skip
    assert set(served_after_cut) == {web2}
    assert served_after_cut[web2] >= SIGNATURES - surge.answered_at_cut - CONCURRENCY

    campaign_id = site.query("SELECT id FROM campaigns WHERE slug = %s", SLUG)[0][0]
    signatures = site.query(
        "SELECT status::text, count(*) FROM signatures WHERE campaign_id = %s GROUP BY 1", campaign_id
    )
    addresses = [signature_fields(number, "")["email"] for number in range(SIGNATURES)]

    # Every owed confirmation arrives (the cut worker's claims come back once the database ends its sessions).
    wait_for("every signer's confirmation", lambda: all(site.smtp.to(a) for a in addresses), timeout=120)
    answers = confirm_everyone(site, addresses)
    assert answers == {"303": SIGNATURES}, answers

    def settled() -> bool:
        owed = site.query("SELECT count(*) FROM outbox WHERE status::text <> 'sent'")[0][0]
        return owed == 0 and count_json(site) == counted_before + SIGNATURES

    wait_for("all mail sent and the count folded", settled, timeout=90)
    time.sleep(3)  # time for a late duplicate (a sweep, a redelivery) to arrive, were there one
    validated = site.query(
        "SELECT count(*) FROM signatures WHERE campaign_id = %s AND status::text = 'validated'", campaign_id
    )[0][0]
    owed_ids = Counter(row[0] for row in site.query("SELECT message_id FROM outbox"))
    put_back = site.query("SELECT count(*) FROM outbox WHERE attempts > 1")[0][0]
    received = Counter(str(message["Message-ID"]) for message in site.smtp.messages)
    duplicates = sum(received.values()) - len(received)
    print(
        f"\n{SIGNATURES} signatures in {signed_in:.1f} s, the hosts cut after {surge.answered_at_cut};"
        f" {len(failures)} answers lost with the cut web host; {sum(owed_ids.values())} messages owed,"
        f" {put_back} put back after the cut, {duplicates} duplicates"
    )

    # Each signature exactly once, none held as fraudulent.
    assert dict(signatures) == {"pending": SIGNATURES}
    # Every owed message sent, each once (by Message-ID); a copy only of what the cut worker was sending.
    assert set(received) == set(owed_ids) and max(owed_ids.values()) == 1
    assert duplicates <= POOL_PROCESSES, [mid for mid, n in received.items() if n > 1]
    # A second confirmation only for a signer who tried again after an answer lost with the cut host.
    assert sum(owed_ids.values()) - SIGNATURES <= len({f.number for f in failures})
    # The counts end exact: what count.json shows is what was confirmed.
    assert validated == SIGNATURES
    assert count_json(site) == counted_before + validated
    # The beat of the cut worker host held the schedule: the standby took over.
    assert "beat lock taken" in site.log("beat-worker2")
