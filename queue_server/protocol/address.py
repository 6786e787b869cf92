"""Where a hallq process finds its broker: host, port, account and, for TLS, the certificate files.

Parsed once from a URL (``mqtt://user:pass@host:port``, ``mqtts://…``) or built from ``device.toml``
and the server's settings; :class:`~queue_server.protocol.client.MqttLink` connects to it. A clustered
broker (a NATS cluster, docs/city.md) is a list of URLs, ``mqtt://a:1883,mqtt://b:1883``: the nodes
share one account and one TLS setting, and the link moves to the next node when the one it uses is
unreachable or drops.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, replace

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


Endpoint = tuple[str, int]


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: TlsFiles | None = None
    # The other nodes of a clustered broker, in the order they are tried after (host, port).
    alternates: tuple[Endpoint, ...] = ()

    @property
    def endpoints(self) -> tuple[Endpoint, ...]:
        """Every node, the first one first."""
        return ((self.host, self.port), *self.alternates)

    @property
    def url(self) -> str:
        """The address as ``parse`` reads it, without the password (fit for a log line)."""
        scheme = "mqtts" if self.tls is not None else "mqtt"
        user = f"{self.username}@" if self.username else ""  # once: the nodes share it
        nodes = [f"{scheme}://{host}:{port}" for host, port in self.alternates]
        return ",".join([f"{scheme}://{user}{self.host}:{self.port}", *nodes])

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """``mqtt://user:pass@host:port`` or ``host:port`` or ``host``; ``mqtts://…`` for TLS (port 8883
        by default, the system's CAs unless :meth:`with_tls` names the files).

        A comma-separated list names the nodes of one clustered broker, tried in that order. They share
        one scheme and one account: the account may be written once, on any of them; ValueError when
        two disagree."""
        nodes = [_parse_one(part.strip()) for part in url.split(",") if part.strip()] or [_parse_one("")]
        first = nodes[0]
        accounts = {(n.username, n.password) for n in nodes if n.username or n.password}
        if len(accounts) > 1:
            raise ValueError(f"broker list {url!r}: its nodes name different accounts; give one")
        if len({n.tls is None for n in nodes}) > 1:
            raise ValueError(f"broker list {url!r}: mixes mqtt:// and mqtts://; a cluster uses one")
        username, password = next(iter(accounts), (None, None))
        alternates = tuple((n.host, n.port) for n in nodes[1:])
        return replace(first, username=username, password=password, alternates=alternates)

    def overridden_by(self, url: str | None) -> BrokerAddress:
        """What a device's ``--broker URL`` option means over this address (its device file's): the
        URL's nodes and scheme; ``mqtts://`` keeps this address's certificate files and a URL without
        an account keeps this address's account, since a URL cannot carry files and an operator
        pointing a device at another node should not have to retype its password on a command line."""
        if not url:
            return self
        given = BrokerAddress.parse(url)
        if given.tls is not None and self.tls is not None:
            given = replace(given, tls=self.tls)
        if given.username is None and given.password is None:
            given = replace(given, username=self.username, password=self.password)
        return given

    def with_tls(self, tls: TlsFiles | None) -> BrokerAddress:
        """The same address over TLS with ``tls`` (unchanged when None)."""
        if tls is None:
            return self
        return replace(self, tls=tls)


def _parse_one(url: str) -> BrokerAddress:
    tls = TlsFiles() if url.startswith("mqtts://") else None
    rest = url.removeprefix("mqtts://").removeprefix("mqtt://").removeprefix("tcp://")
    user = password = None
    if "@" in rest:
        cred, rest = rest.rsplit("@", 1)
        user, _, password = cred.partition(":")
    host, _, port = rest.partition(":")
    default_port = MQTTS_PORT if tls is not None else 1883
    return BrokerAddress(
        host or "127.0.0.1", int(port) if port else default_port, user or None, password or None, tls
    )
