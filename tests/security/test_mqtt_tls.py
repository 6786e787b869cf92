"""MQTT over TLS with client certificates, end to end on a REAL Mosquitto.

``hallq provision --tls`` makes the hall's CA and certificates and the broker's TLS listener
(``require_certificate``, the certificate's CN as the username); each kind of device reads its provisioned
``device.toml`` (kiosk and screens through ``protocol.device_file``, the agent through its own config)
and connects with its certificate; a client without one, or with one from another CA, is refused.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.agent.config import load_config
from harness.broker import free_port
from harness.waiting import scaled
from provisioning.certs import ensure_certificates
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, DeviceLink, MqttLink, Received, TlsFiles
from queue_server.protocol.device_file import load_device_file
from queue_server.protocol.messages import DeviceKind
from tests.security.conftest import TlsHall

pytestmark = pytest.mark.broker

HALL = "demo"
KIOSK, KIOSK_2, AGENT, HALL_SCREEN = "demo-kiosk-1", "demo-kiosk-2", "demo-win-5-agent", "demo-hall-display"
WAIT = 5.0


@contextlib.contextmanager
def server_hears(hall: TlsHall) -> Iterator[queue.Queue[Received]]:
    heard: queue.Queue[Received] = queue.Queue()
    link = MqttLink(f"hallq-server-t{free_port()}", hall.server)
    link.subscribe(f"hallq/v1/{HALL}/dev/+/req", heard.put)  # no retained statuses
    link.start()
    try:
        assert link.wait_connected(scaled(WAIT)) and link.wait_subscribed(scaled(WAIT))
        yield heard
    finally:
        link.stop()


def until(heard: queue.Queue[Received], topic: str) -> list[str]:
    """The topics heard up to and including ``topic``."""
    seen: list[str] = []
    while not seen or seen[-1] != topic:
        seen.append(heard.get(timeout=scaled(WAIT)).topic)
    return seen


def test_each_kind_of_device_connects_with_its_certificate_and_publishes(tls_hall: TlsHall) -> None:
    kiosk = load_device_file(tls_hall.device_file(KIOSK), (DeviceKind.KIOSK,))
    screen = load_device_file(tls_hall.device_file(HALL_SCREEN), (DeviceKind.HALL_DISPLAY,))
    agent = load_config(tls_hall.device_file(AGENT))
    with server_hears(tls_hall) as heard:
        for device, address in ((KIOSK, kiosk.broker.address), (HALL_SCREEN, screen.broker.address)):
            assert address.tls is not None and address.password is None and address.port == tls_hall.tls_port
            link = DeviceLink(HALL, device, "kiosk", boot=1, broker=address)
            link.start()
            try:
                assert link.link.wait_connected(scaled(WAIT)), device
                link.send("health", {}, f"{device}-tls-1")
                assert until(heard, topics.dev_req(HALL, device))[-1] == topics.dev_req(HALL, device)
            finally:
                link.stop()
        agent_link = MqttLink(AGENT, agent.broker.address)
        agent_link.start()
        try:
            assert agent_link.wait_connected(scaled(WAIT))
            assert agent_link.publish_and_wait(topics.dev_req(HALL, AGENT), b"{}", timeout=scaled(WAIT))
            assert until(heard, topics.dev_req(HALL, AGENT))[-1] == topics.dev_req(HALL, AGENT)
        finally:
            agent_link.stop()


def test_a_certificate_is_its_devices_identity_whatever_username_it_gives(tls_hall: TlsHall) -> None:
    kiosk = load_device_file(tls_hall.device_file(KIOSK), (DeviceKind.KIOSK,)).broker.address
    posing = BrokerAddress(kiosk.host, kiosk.port, KIOSK_2, None, kiosk.tls)  # claims to be kiosk 2
    with server_hears(tls_hall) as heard:
        link = MqttLink(KIOSK_2, posing)
        link.start()
        try:
            assert link.wait_connected(scaled(WAIT))
            assert link.publish_and_wait(topics.dev_req(HALL, KIOSK_2), b"forged", timeout=scaled(WAIT))
            assert link.publish_and_wait(topics.dev_req(HALL, KIOSK), b"marker", timeout=scaled(WAIT))
            # The ACL is kiosk 1's (the certificate's CN): kiosk 2's topic was dropped, kiosk 1's passed.
            assert until(heard, topics.dev_req(HALL, KIOSK)) == [topics.dev_req(HALL, KIOSK)]
        finally:
            link.stop()


def test_a_client_without_a_certificate_or_with_a_foreign_one_is_refused(tls_hall: TlsHall) -> None:
    files = load_device_file(tls_hall.device_file(KIOSK), (DeviceKind.KIOSK,)).broker.address.tls
    assert files is not None and files.cafile is not None
    assert mqtt_connect(tls_hall.tls_port, files) == "accepted"  # the same probe, with the certificate
    assert mqtt_connect(tls_hall.tls_port, TlsFiles(files.cafile)) == "refused"
    foreign = ensure_certificates("elsewhere", [KIOSK], ["127.0.0.1"])
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = Path(tmp, "k.crt"), Path(tmp, "k.key")
        cert.write_text(foreign.clients[KIOSK].cert)
        key.write_text(foreign.clients[KIOSK].key)
        assert mqtt_connect(tls_hall.tls_port, TlsFiles(files.cafile, str(cert), str(key))) == "refused"


def test_the_device_refuses_a_broker_its_ca_did_not_sign(tls_hall: TlsHall) -> None:
    foreign = ensure_certificates("elsewhere", [], ["127.0.0.1"])
    with tempfile.TemporaryDirectory() as tmp:
        ca = Path(tmp, "ca.crt")
        ca.write_text(foreign.ca.cert)
        with pytest.raises(ssl.SSLCertVerificationError):
            mqtt_connect(tls_hall.tls_port, TlsFiles(str(ca)))


def mqtt_connect(port: int, files: TlsFiles) -> str:
    """One MQTT 3.1.1 CONNECT over TLS: "accepted" on a CONNACK 0, else "refused"."""
    client_id = f"probe-{free_port()}".encode()
    body = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(client_id).to_bytes(2, "big") + client_id
    with (
        socket.create_connection(("127.0.0.1", port), timeout=scaled(WAIT)) as raw,
        files.context().wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        try:
            tls.sendall(bytes([0x10, len(body)]) + body)
            reply = tls.recv(4)
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            return "refused"
    return "accepted" if reply == b"\x20\x02\x00\x00" else "refused"
