"""A fresh `make run` (SQLite, the embedded broker, real processes) takes a burst of signatures.

1,000 signatures at 16 at a time (SURGE_SIGNATURES sets another number), as a new user tried it.
"""

import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.faults.live import (
    Browser,
    client_address,
    csrf_of,
    embedded_environment,
    prepare,
    signature_fields,
    supervised_site,
)
from tests.support.smtp import SmtpCapture
from tests.support.workers import free_port

SIGNATURES = int(os.environ.get("SURGE_SIGNATURES", "1000"))
CONCURRENCY = 16
CAMPAIGN = "/campaigns/recognize-artsakh"


def burst(port: int, count: int) -> list[str]:
    """Sign `count` times, CONCURRENCY at a time, each visitor from its own address; return each outcome."""
    local = threading.local()

    def sign(number: int) -> str:
        if not hasattr(local, "browser"):
            local.browser = Browser(port)
            local.csrf = csrf_of(local.browser.get(CAMPAIGN).body)
        try:
            answer = local.browser.post(
                f"{CAMPAIGN}/sign",
                signature_fields(number, local.csrf),
                headers={"X-Forwarded-For": client_address(number)},
            )
        except OSError as error:
            local.browser.close()
            return f"connection error: {type(error).__name__}"
        return str(answer.status)

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return list(pool.map(sign, range(count)))


def test_a_burst_of_signatures_is_answered_and_every_confirmation_mailed_once(tmp_path):
    smtp = SmtpCapture(port=free_port())
    smtp.start()
    port = free_port()
    env = embedded_environment(
        tmp_path / "instance",
        SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
        BASE_URL=f"http://127.0.0.1:{port}",
        TRUSTED_PROXY_HOPS="1",
    )
    prepare(env)
    log = tmp_path / "site.log"
    try:
        with supervised_site(env, port, log):
            started = time.monotonic()
            outcomes = burst(port, SIGNATURES)
            took = time.monotonic() - started

            assert Counter(outcomes) == {"303": SIGNATURES}, f"answers: {Counter(outcomes)}"
            expected = {signature_fields(n, "")["email"] for n in range(SIGNATURES)}
            deadline = time.monotonic() + 120
            while len(smtp.messages) < SIGNATURES and time.monotonic() < deadline:
                time.sleep(0.5)
            # Time for a late duplicate (a sweep, a redelivery) to arrive, were there one.
            time.sleep(5)
            received = Counter(recipient for envelope in smtp.envelopes for recipient in envelope)
    finally:
        smtp.stop()
    assert set(received) == expected, f"{len(expected - set(received))} confirmations never arrived"
    assert max(received.values()) == 1, f"sent twice: {[r for r, n in received.items() if n > 1][:5]}"
    assert all("confirm your signature" in m["Subject"].lower() for m in smtp.messages)
    # Nothing died under the burst: no process had to be restarted.
    assert "restarting" not in log.read_text(errors="replace")
    print(f"{SIGNATURES} signatures answered in {took:.1f} s")
