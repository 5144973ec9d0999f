"""Throwaway certificate authorities and server certificates for loopback HTTPS tests.

Everything is generated at test time with ``cryptography`` and written under the test's tmp_path;
nothing here is ever trusted outside the test that made it. ``issue_chain`` mirrors adilet.zan.kz's
real problem: the server presents its leaf certificate without the intermediate, so only a CA bundle
holding root *and* intermediate completes the chain.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Authority:
    """A CA's key and certificate, with the PEM file of the certificate (what a CA bundle holds)."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    pem_path: Path


@dataclass(frozen=True)
class ServerIdentity:
    """The files a TLS server needs: certificate (chain) and key."""

    cert_path: Path
    key_path: Path

    def context(self) -> ssl.SSLContext:
        """A server-side SSLContext presenting this identity."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "atop-pipeline tests")])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
    )


def make_root(folder: Path, name: str = "Test Root CA") -> Authority:
    """A self-signed root CA, its certificate written to ``folder/<name>.pem``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(name)
    cert = (
        _builder(subject, subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name.replace(" ", "_").lower() + ".pem")
    path.write_bytes(_pem(cert))
    return Authority(key, cert, path)


def make_intermediate(root: Authority, folder: Path, name: str = "Test Intermediate CA") -> Authority:
    """An intermediate CA signed by ``root``, its certificate written to ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(_name(name), root.cert.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()), critical=False)
        .sign(root.key, hashes.SHA256())
    )
    path = folder / (name.replace(" ", "_").lower() + ".pem")
    path.write_bytes(_pem(cert))
    return Authority(key, cert, path)


def issue_server(issuer: Authority, folder: Path, *, names: tuple[str, ...] = ("127.0.0.1", "localhost"),
                 stem: str = "server") -> ServerIdentity:
    """A server certificate for ``names`` (IP addresses or DNS names) signed by ``issuer``.

    The certificate file holds the leaf only: a server using it sends no intermediate.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for name in names:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    cert = (
        _builder(_name(names[0]), issuer.cert.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
        .sign(issuer.key, hashes.SHA256())
    )
    cert_path = folder / f"{stem}.pem"
    key_path = folder / f"{stem}.key"
    cert_path.write_bytes(_pem(cert))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ServerIdentity(cert_path, key_path)


def bundle(folder: Path, *authorities: Authority, name: str = "bundle.pem") -> Path:
    """A CA bundle file holding the certificates of ``authorities``."""
    path = folder / name
    path.write_bytes(b"".join(_pem(a.cert) for a in authorities))
    return path
