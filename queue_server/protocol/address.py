"""Where a hallq process finds its broker: host, port, account and, for TLS, the certificate files.

Parsed once from a URL (``mqtt://user:pass@host:port``, ``mqtts://…``) or built from ``device.toml``
and the server's settings; :class:`~queue_server.protocol.client.MqttLink` connects to it.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

MQTTS_PORT = 8883


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """TLS toward the broker: the CA that signed the broker's certificate (None: the system's CAs), and
    this client's certificate and key, for a broker that asks for one."""

    cafile: str | None = None
    certfile: str | None = None
    keyfile: str | None = None

    def context(self) -> ssl.SSLContext:
        """The client's TLS context; OSError (ssl.SSLError is one) when a file is missing or unusable."""
        if (self.certfile is None) != (self.keyfile is None):
            raise ValueError("a client certificate needs its key, and a key its certificate")
        context = ssl.create_default_context(cafile=self.cafile)  # checks the chain and the host name
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.certfile is not None:
            context.load_cert_chain(self.certfile, self.keyfile)
        return context


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: TlsFiles | None = None

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """``mqtt://user:pass@host:port`` or ``host:port`` or ``host``; ``mqtts://…`` for TLS (port 8883
        by default, the system's CAs unless :meth:`with_tls` names the files)."""
        tls = TlsFiles() if url.startswith("mqtts://") else None
        rest = url.removeprefix("mqtts://").removeprefix("mqtt://").removeprefix("tcp://")
        user = password = None
        if "@" in rest:
            cred, rest = rest.rsplit("@", 1)
            user, _, password = cred.partition(":")
        host, _, port = rest.partition(":")
        default_port = MQTTS_PORT if tls is not None else 1883
        return cls(
            host or "127.0.0.1", int(port) if port else default_port, user or None, password or None, tls
        )

    def with_tls(self, tls: TlsFiles | None) -> BrokerAddress:
        """The same address over TLS with ``tls`` (unchanged when None)."""
        if tls is None:
            return self
        return BrokerAddress(self.host, self.port, self.username, self.password, tls)
