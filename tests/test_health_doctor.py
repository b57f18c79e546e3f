"""`campaign doctor` names what is wrong, a sentence each; `campaign ready` is /readyz for workers."""

import datetime
import ipaddress
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.faults.live import CAMPAIGN, embedded_environment, prepare
from tests.support.smtp import SmtpCapture, _Handler
from tests.support.workers import free_port

CHECKS = ("configuration", "database", "migrations", "broker", "smtp", "keys", "disk", "backlog")
# On PostgreSQL only (SQLite keeps no plans between statements).
POSTGRESQL_CHECKS = ("autovacuum",)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """A migrated embedded default with its keys, as `make run` leaves it."""
    env = embedded_environment(tmp_path_factory.mktemp("doctor") / "instance")
    prepare(env)
    return env


def run(env, *args):
    """Run a `campaign` command; return its exit status and output."""
    result = subprocess.run([CAMPAIGN, *args], env=env, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def findings(output: str) -> dict[str, str]:
    """The doctor's lines by check: 'ok  ...' or 'FAIL ...'."""
    found = {}
    for line in output.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[0] in ("ok", "FAIL") and parts[1] in CHECKS + POSTGRESQL_CHECKS:
            found[parts[1]] = f"{parts[0]} {parts[2]}"
    return found


def test_a_healthy_installation_passes_every_check(embedded, smtp_server):
    status, output = run({**embedded, "SMTP_URL": f"smtp://127.0.0.1:{smtp_server.port}"}, "doctor")
    assert status == 0, output
    found = findings(output)
    assert set(found) == set(CHECKS)
    assert all(line.startswith("ok") for line in found.values()), output


def test_each_broken_part_is_named_in_a_sentence(embedded, tmp_path):
    broken = {
        **embedded,
        "DATABASE_URL": f"postgresql://campaign@127.0.0.1:{free_port()}/campaign",
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "SMTP_URL": f"smtp://127.0.0.1:{free_port()}",
        "KEYS_PATH": str(tmp_path / "no-keys"),
        "BASE_URL": "http://localhost:8000",
    }
    status, output = run(broken, "doctor")
    assert status == 1
    found = findings(output)
    assert found["configuration"].startswith("FAIL BASE_URL is http://localhost:8000: links in email")
    assert found["database"].startswith("FAIL The database does not answer (OperationalError) at postgresql")
    assert found["migrations"] == "FAIL Not checked: the database does not answer (OperationalError)."
    assert found["broker"].startswith("FAIL The broker does not answer")
    assert found["smtp"].startswith(
        f"FAIL Cannot talk to the SMTP server at 127.0.0.1:{broken['SMTP_URL'][-5:]}"
    )
    assert found["keys"].startswith("FAIL No blind-index key: run `campaign keys init`")
    assert found["disk"].startswith("ok")
    assert found["backlog"] == "FAIL Not checked (OperationalError): see the database and migrations above."


def test_a_schema_behind_the_code_says_to_upgrade(tmp_path):
    status, output = run(embedded_environment(tmp_path / "instance"), "doctor")
    assert status == 1
    assert findings(output)["migrations"].startswith("FAIL The schema is at none applied, the code expects")
    assert "run `campaign db upgrade`" in output


def self_signed(folder):
    """A certificate for 127.0.0.1 signed by itself, and its key, as PEM files; and a server TLS context."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp.crt", folder / "smtp.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context


def test_smtp_over_starttls_is_verified_against_the_configured_cas(embedded, tmp_path):
    cert_file, context = self_signed(tmp_path)
    port = free_port()
    server = Controller(_Handler(SmtpCapture(port)), hostname="127.0.0.1", port=port, tls_context=context)
    server.start()
    try:
        env = {**embedded, "SMTP_URL": f"smtp+starttls://127.0.0.1:{port}"}
        status, output = run(env, "doctor")
        assert status == 1
        assert findings(output)["smtp"].startswith("FAIL The certificate of 127.0.0.1 could not be verified")
        assert "SMTP_CA_FILE" in output

        status, output = run({**env, "SMTP_CA_FILE": str(cert_file)}, "doctor")
        assert status == 0, output
        assert (
            findings(output)["smtp"] == f"ok The SMTP server at 127.0.0.1:{port} answers over verified TLS."
        )
    finally:
        server.stop()


def test_ready_answers_as_readyz_does(embedded):
    assert run(embedded, "ready") == (0, "ready\n")
    status, output = run({**embedded, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}, "ready")
    assert status == 1 and output.startswith("the broker does not answer")


def test_postgresql_without_autovacuum_is_named_with_what_to_do(db, app):
    """The plans PostgreSQL keeps go stale without it (the soak of issue 14 lost 40% that way): the
    doctor reads the server's own settings and says so, or that all is well."""
    from sqlalchemy import text

    from campaign.doctor.checks import autovacuum_finding

    result = app.test_cli_runner().invoke(args=["doctor"])
    line = findings(result.output)["autovacuum"]

    rows = db.session.execute(
        text("SELECT name, setting FROM pg_settings WHERE name IN ('autovacuum', 'track_counts')")
    )
    settings = {name: value for name, value in rows}
    off = sorted(name for name, value in settings.items() if value != "on")
    if off:  # as on the machines the tests run on, whose PostgreSQL runs without it
        assert line.startswith("FAIL Autovacuum does not run on this PostgreSQL server (autovacuum = off")
        assert line.endswith("Turn it on, or run ANALYZE on a schedule.")
        assert result.exit_code == 1
    else:
        assert line == "ok Autovacuum runs: the planner's statistics follow the tables as they grow."
    # Both sentences, whichever this server gives: track_counts off stops autovacuum too.
    [well] = autovacuum_finding([])
    assert well.is_ok and well.sentence.startswith("Autovacuum runs")
    [stale] = autovacuum_finding(["autovacuum", "track_counts"])
    assert not stale.is_ok
    assert "(autovacuum = off, track_counts = off)" in stale.sentence


def test_the_autovacuum_check_waits_for_a_database_that_answers(embedded):
    broken = {**embedded, "DATABASE_URL": f"postgresql://campaign@127.0.0.1:{free_port()}/campaign"}
    status, output = run(broken, "doctor")
    assert status == 1
    not_checked = "FAIL Not checked: the database does not answer (OperationalError)."
    assert findings(output)["autovacuum"] == not_checked
