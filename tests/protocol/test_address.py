"""Broker addresses: URLs with and without TLS, and the TLS files checked when the context is made."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from provisioning.certs import ensure_certificates
from queue_server.protocol.address import BrokerAddress, TlsFiles


def test_urls_with_and_without_tls() -> None:
    assert BrokerAddress.parse("mqtt://u:p@10.0.0.2:1884") == BrokerAddress("10.0.0.2", 1884, "u", "p")
    assert BrokerAddress.parse("10.0.0.2") == BrokerAddress("10.0.0.2", 1883)
    assert BrokerAddress.parse("mqtts://10.0.0.2") == BrokerAddress("10.0.0.2", 8883, tls=TlsFiles())
    files = TlsFiles("/etc/hallq/ca.crt")
    assert BrokerAddress.parse("mqtt://h:1").with_tls(files) == BrokerAddress("h", 1, tls=files)
    assert BrokerAddress.parse("mqtt://h:1").with_tls(None) == BrokerAddress("h", 1)


def test_the_context_checks_the_broker_and_presents_the_clients_certificate(tmp_path: Path) -> None:
    certs = ensure_certificates("demo", ["demo-kiosk-1"], ["127.0.0.1"])
    ca, cert, key = tmp_path / "ca.crt", tmp_path / "k.crt", tmp_path / "k.key"
    ca.write_text(certs.ca.cert)
    cert.write_text(certs.clients["demo-kiosk-1"].cert)
    key.write_text(certs.clients["demo-kiosk-1"].key)
    context = TlsFiles(str(ca), str(cert), str(key)).context()
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_unusable_files_are_refused_when_the_context_is_made(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs its key"):
        TlsFiles(None, str(tmp_path / "k.crt")).context()
    with pytest.raises(FileNotFoundError):
        TlsFiles(str(tmp_path / "missing.crt")).context()
    (tmp_path / "bad.crt").write_text("not a certificate")
    with pytest.raises(ssl.SSLError):
        TlsFiles(str(tmp_path / "bad.crt")).context()


def test_a_list_names_the_nodes_of_one_cluster_in_the_order_they_are_tried() -> None:
    address = BrokerAddress.parse("mqtt://u:p@10.0.0.1:1883, mqtt://10.0.0.2:1884,10.0.0.3")
    assert address == BrokerAddress(
        "10.0.0.1", 1883, "u", "p", alternates=(("10.0.0.2", 1884), ("10.0.0.3", 1883))
    )
    assert address.endpoints == (("10.0.0.1", 1883), ("10.0.0.2", 1884), ("10.0.0.3", 1883))
    assert address.url == "mqtt://u@10.0.0.1:1883,mqtt://10.0.0.2:1884,mqtt://10.0.0.3:1883"
    assert BrokerAddress.parse(address.url.replace("u@", "u:p@", 1)) == address
    # The account may be written on any one node; TLS files apply to every node.
    assert BrokerAddress.parse("mqtt://a,mqtt://u:p@b").username == "u"
    files = TlsFiles("/etc/hallq/ca.crt")
    tls = BrokerAddress.parse("mqtts://a,mqtts://b:8884").with_tls(files)
    assert (tls.tls, tls.endpoints) == (files, (("a", 8883), ("b", 8884)))


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("mqtt://u:p@a,mqtt://v:q@b", "different accounts"),
        ("mqtt://a,mqtts://b", "mixes mqtt:// and mqtts://"),
    ],
)
def test_a_list_whose_nodes_disagree_is_refused(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        BrokerAddress.parse(url)
