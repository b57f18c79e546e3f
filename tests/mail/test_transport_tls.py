"""Mail in transit: smtps:// and smtp+starttls:// deliver only to a server whose certificate checks out."""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from campaign.mail.transport import SmtpTransport, TemporaryFailure
from tests.support.workers import free_port

SCHEMES = ["smtps", "smtp+starttls"]


@dataclass
class Authority:
    """A certificate authority of the test's own: its PEM file and what it needs to sign."""

    pem: Path
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


@dataclass
class Identity:
    """A server's certificate chain and key, as files an SSLContext loads."""

    chain: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    """A subject or issuer with only a common name."""
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _authority(folder: Path, common_name: str) -> Authority:
    """Create a self-signed CA and write its certificate to a PEM file."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = folder / f"{common_name}.pem"
    pem.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return Authority(pem=pem, certificate=certificate, key=key)


def _identity(folder: Path, authority: Authority, names: list[x509.GeneralName]) -> Identity:
    """Issue a server certificate for these names, signed by the authority."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name("mail server"))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()), critical=False
        )
        .sign(authority.key, hashes.SHA256())
    )
    chain = folder / "server.pem"
    chain.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file = folder / "server.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Identity(chain=chain, key=key_file)


LOCAL_NAMES: list[x509.GeneralName] = [
    x509.DNSName("localhost"),
    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
]


class _Keeper:
    """Keeps every message the server accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"


@dataclass
class TlsServer:
    """A running SMTP server and the URL a transport reaches it by."""

    url: str
    messages: list[EmailMessage]


@pytest.fixture
def tls_server() -> Iterator[Callable[[str, Identity], TlsServer]]:
    """Start an in-process SMTP server speaking smtps or STARTTLS with a given certificate."""
    controllers: list[Controller] = []

    def start(scheme: str, identity: Identity) -> TlsServer:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(identity.chain, identity.key)
        keeper = _Keeper()
        port = free_port()
        if scheme == "smtps":
            controller = Controller(keeper, hostname="127.0.0.1", port=port, ssl_context=context)
        else:
            # Plain text is allowed too, so a client falling back to it would deliver and fail the test.
            controller = Controller(
                keeper, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=False
            )
        controller.start()
        controllers.append(controller)
        return TlsServer(url=f"{scheme}://127.0.0.1:{port}", messages=keeper.messages)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def trusted(tmp_path: Path) -> Authority:
    """The CA the transport is told to trust."""
    folder = tmp_path / "trusted"
    folder.mkdir()
    return _authority(folder, "trusted-ca")


@pytest.fixture
def rogue(tmp_path: Path) -> Authority:
    """A CA nobody trusts: what a machine in the middle would present."""
    folder = tmp_path / "rogue"
    folder.mkdir()
    return _authority(folder, "rogue-ca")


def _message() -> EmailMessage:
    """A small message to hand over."""
    message = EmailMessage()
    message["From"] = "campaigns@example.org"
    message["To"] = "anahit@example.org"
    message["Subject"] = "Please confirm your signature"
    message.set_content("Confirm here.")
    return message


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_server_signed_by_the_trusted_ca_receives_the_mail(scheme, tls_server, trusted, tmp_path):
    server = tls_server(scheme, _identity(tmp_path / "trusted", trusted, LOCAL_NAMES))
    transport = SmtpTransport(server.url, timeout=5, ca_file=str(trusted.pem))

    transport.send(_message())
    transport._close()  # the kept connection, which a worker would reuse

    assert [m["Subject"] for m in server.messages] == ["Please confirm your signature"]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_certificate_from_an_untrusted_ca_is_refused(scheme, tls_server, trusted, rogue, tmp_path):
    server = tls_server(scheme, _identity(tmp_path / "rogue", rogue, LOCAL_NAMES))
    transport = SmtpTransport(server.url, timeout=5, ca_file=str(trusted.pem))

    with pytest.raises(TemporaryFailure, match=r"certificate of 127\.0\.0\.1 could not be verified"):
        transport.send(_message())

    assert server.messages == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_without_a_ca_file_a_self_made_certificate_is_refused(scheme, tls_server, rogue, tmp_path):
    server = tls_server(scheme, _identity(tmp_path / "rogue", rogue, LOCAL_NAMES))

    with pytest.raises(TemporaryFailure, match="could not be verified"):
        SmtpTransport(server.url, timeout=5).send(_message())

    assert server.messages == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_trusted_certificate_for_another_host_is_refused(scheme, tls_server, trusted, tmp_path):
    identity = _identity(tmp_path / "trusted", trusted, [x509.DNSName("mail.example.org")])
    server = tls_server(scheme, identity)

    with pytest.raises(TemporaryFailure, match="could not be verified"):
        SmtpTransport(server.url, timeout=5, ca_file=str(trusted.pem)).send(_message())

    assert server.messages == []


def test_an_unreadable_ca_file_is_a_clear_failure(tls_server, trusted, tmp_path):
    server = tls_server("smtps", _identity(tmp_path / "trusted", trusted, LOCAL_NAMES))
    missing = tmp_path / "missing.pem"

    with pytest.raises(TemporaryFailure, match="cannot read the CA file"):
        SmtpTransport(server.url, timeout=5, ca_file=str(missing)).send(_message())

    assert server.messages == []


def test_the_app_sends_with_the_ca_file_from_the_environment(tls_server, trusted, tmp_path, monkeypatch):
    from campaign import create_app
    from campaign.mail.sending import transport

    server = tls_server("smtp+starttls", _identity(tmp_path / "trusted", trusted, LOCAL_NAMES))
    monkeypatch.setenv("SMTP_CA_FILE", str(trusted.pem))
    app = create_app({"TESTING": True, "SMTP_URL": server.url})

    with app.app_context():
        smtp = transport()
        smtp.send(_message())

    assert isinstance(smtp, SmtpTransport) and smtp.ca_file == str(trusted.pem)
    assert [m["Subject"] for m in server.messages] == ["Please confirm your signature"]
    smtp._close()
