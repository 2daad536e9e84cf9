"""HTTPS for the app server: HALLBOT_TLS_CERT + HALLBOT_TLS_KEY (PEM files). Kiosk browsers on the
hall network need HTTPS for getUserMedia (camera, microphone); staff cookies are Secure then."""
from __future__ import annotations

import ssl
from pathlib import Path


class TlsConfigError(ValueError):
    """The certificate settings cannot be used; the message says which and why."""


def server_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """A TLS server context, or None for plain HTTP (neither set)."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise TlsConfigError("HTTPS needs both HALLBOT_TLS_CERT and HALLBOT_TLS_KEY")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"cannot load HALLBOT_TLS_CERT={cert} / HALLBOT_TLS_KEY={key}: {exc}") from None
    return context
