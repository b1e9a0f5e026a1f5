"""The report's digital signature (PAdES, pyHanko) and its verification.

The company signs each report with the certificate of a PKCS#12 file. The signature's
``/Reason`` names the report (number, revision, content hash); it lies inside the signed
bytes, so a verifier can say which report a valid file is without asking the server.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import io
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

log = logging.getLogger("fieldsync.pdf")

FIELD_NAME = "FieldsyncReport"
REASON_PREFIX = "Fieldsync service report"
_REASON = re.compile(
    rf"^{REASON_PREFIX} (?P<number>\S+) rev (?P<revision>\d+); "
    r"content sha256 (?P<sha>[0-9a-f]{64})$"
)


def reason_text(number: str, revision: int, content_sha256: str) -> str:
    """The signature's ``/Reason``: which report this is."""
    return f"{REASON_PREFIX} {number} rev {revision}; content sha256 {content_sha256}"


@dataclass(frozen=True)
class Certificate:
    """Where the signing certificate is, and whether it is the demo's self-signed one."""

    path: Path
    passphrase: str
    self_signed_demo: bool = False


def make_self_signed(path: Path, *, common_name: str, organisation: str) -> Certificate:
    """Write a new self-signed RSA certificate and key as PKCS#12 at ``path``, with a random
    passphrase kept beside it (``<path>.pass``, owner-only)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    passphrase = secrets.token_urlsafe(24)
    data = pkcs12.serialize_key_and_certificates(
        b"fieldsync-report",
        key,
        cert,
        None,
        serialization.BestAvailableEncryption(passphrase.encode()),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pass_path = path.with_name(path.name + ".pass")
    for target, content in ((pass_path, passphrase.encode()), (path, data)):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, target)
    return Certificate(path=path, passphrase=passphrase, self_signed_demo=True)


def demo_certificate(folder: Path, *, common_name: str, organisation: str) -> Certificate:
    """The demo's self-signed certificate in ``folder``, made on first use (with a warning).

    A lock file keeps concurrent first uses (threads, app processes) from making two.
    """
    path = folder / "report-signing.p12"
    pass_path = path.with_name(path.name + ".pass")
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "report-signing.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists() and pass_path.exists():
            return Certificate(path, pass_path.read_text().strip(), self_signed_demo=True)
        log.warning(
            "no report signing certificate configured (FIELDSYNC_REPORT_PKCS12): made a "
            "SELF-SIGNED one at %s for the demo. PDF readers will show its signature as "
            "untrusted; configure the company's certificate for real use.",
            path,
        )
        return make_self_signed(path, common_name=common_name, organisation=organisation)


class _KeptKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner, loading its private key once instead of for every signature
    (parsing and checking an RSA key costs about 35 ms, twice per signed report)."""

    _pyca_key: Any = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism != "rsassa_pkcs1v15":
            signed: bytes = super().sign_raw(data, digest_algorithm)
            return signed
        if self._pyca_key is None:
            self._pyca_key = serialization.load_der_private_key(
                self.signing_key.dump(), password=None
            )
        key: rsa.RSAPrivateKey = self._pyca_key
        algorithms: dict[str, hashes.HashAlgorithm] = {
            "sha256": hashes.SHA256(),
            "sha384": hashes.SHA384(),
            "sha512": hashes.SHA512(),
        }
        return key.sign(data, PKCS1v15(), algorithms[digest_algorithm.lower()])


_SIGNERS: dict[tuple[str, float, str], signers.SimpleSigner] = {}


def load_signer(cert: Certificate) -> signers.SimpleSigner:
    """The pyHanko signer of a PKCS#12 file, cached per process while the file is unchanged."""
    key = (str(cert.path), cert.path.stat().st_mtime, cert.passphrase)
    signer = _SIGNERS.get(key)
    if signer is None:
        loaded = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]
            pfx_file=str(cert.path), passphrase=cert.passphrase.encode() or None
        )
        if loaded is None:
            raise SigningError(f"could not read the PKCS#12 file {cert.path} (wrong passphrase?)")
        signer = _KeptKeySigner(
            signing_cert=loaded.signing_cert,
            signing_key=loaded.signing_key,
            cert_registry=loaded.cert_registry,
        )
        _SIGNERS[key] = signer
    return signer


def signing_certificate(cert: Certificate) -> asn1_x509.Certificate:
    """The certificate (asn1crypto form) that signs reports: the trust root of verification."""
    found: Any = load_signer(cert).signing_cert
    return found


def sign_pdf(pdf: bytes, cert: Certificate, *, reason: str, location: str, name: str) -> bytes:
    """``pdf`` with a PAdES signature over the whole file."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=reason,
        location=location,
        name=name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    out = signers.PdfSigner(meta, signer=load_signer(cert)).sign_pdf(writer)
    signed: bytes = out.getvalue()
    return signed


class Verification(msgspec.Struct, kw_only=True):
    """What a verifier says of a PDF."""

    status: str
    """valid, tampered (changed after signing), untrusted (not our certificate), unsigned or
    unreadable."""
    valid: bool
    detail: str
    report_number: str = ""
    revision: int = 0
    content_sha256: str = ""
    signer: str = ""
    signed_at: str = ""


async def verify_pdf(data: bytes, trusted: asn1_x509.Certificate) -> Verification:
    """Check a PDF's report signature against our certificate ``trusted``."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
    except Exception as exc:  # a broken file is an answer, not a server error
        return Verification(status="unreadable", valid=False, detail=f"not a readable PDF: {exc}")
    ours = [s for s in sigs if s.field_name == FIELD_NAME] or list(sigs)
    if not ours:
        return Verification(status="unsigned", valid=False, detail="the PDF carries no signature")
    emb = ours[0]
    reason = str(emb.sig_object.get("/Reason", ""))
    match = _REASON.match(reason)
    base = Verification(
        status="tampered",
        valid=False,
        detail="",
        report_number=match["number"] if match else "",
        revision=int(match["revision"]) if match else 0,
        content_sha256=match["sha"] if match else "",
    )
    try:
        status = await async_validate_pdf_signature(
            emb, ValidationContext(trust_roots=[trusted], allow_fetching=False)
        )
    except Exception as exc:  # a signature pyHanko cannot even evaluate is broken
        return msgspec.structs.replace(base, detail=f"signature broken: {exc}")
    base = msgspec.structs.replace(
        base,
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "",
        signed_at=status.signer_reported_dt.isoformat() if status.signer_reported_dt else "",
    )
    if not status.intact or not status.valid:
        return msgspec.structs.replace(
            base,
            detail="the file was changed after it was signed: the signature no longer matches",
        )
    if status.coverage is None or status.coverage.name != "ENTIRE_FILE":
        return msgspec.structs.replace(
            base, detail="content was added to the file after it was signed"
        )
    if not status.trusted:
        return msgspec.structs.replace(
            base,
            status="untrusted",
            detail="the signature is intact but not made with this server's certificate",
        )
    if not match:
        return msgspec.structs.replace(
            base, status="untrusted", detail="signed by us but names no report"
        )
    return msgspec.structs.replace(
        base,
        status="valid",
        valid=True,
        detail=f"valid: report {base.report_number} revision {base.revision}, unchanged since "
        "it was signed",
    )


def verify_pdf_sync(data: bytes, trusted: asn1_x509.Certificate) -> Verification:
    """:func:`verify_pdf` for callers without an event loop: the CLI, and the app's worker
    thread that verifies an uploaded PDF off the event loop."""
    return asyncio.run(verify_pdf(data, trusted))
