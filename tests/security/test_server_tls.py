"""``hallq server`` with its settings' TLS: HTTPS with its certificate (Secure cookies, HSTS) and the
MQTT link to a broker that requires client certificates, with the server's provisioned one."""

from __future__ import annotations

import os
import queue
import secrets
import ssl
import subprocess
import sys
from pathlib import Path

import httpx

from harness.broker import free_port
from harness.factories import PASSWORD, build_hall
from harness.waiting import eventually, scaled
from provisioning.certs import ensure_certificates
from queue_server.protocol import topics
from queue_server.protocol.client import MqttLink, Received
from queue_server.protocol.codec import decode
from queue_server.protocol.messages import ServerStatus
from tests.security.conftest import TlsHall

HALLQ = [sys.executable, "-m", "queue_server.cli", "server"]
WAIT = 5.0


def test_the_server_serves_https_and_reaches_the_broker_with_its_certificate(
    tls_hall: TlsHall, tmp_path: Path, hall_code: str
) -> None:
    db = f"sqlite:///{tmp_path / 'hallq.db'}"
    build_hall(db, code=hall_code).close()
    secret = tmp_path / "secret.key"
    secret.write_text(secrets.token_hex(32))
    web = ensure_certificates("web", [], ["127.0.0.1"])  # a certificate for 127.0.0.1, from its own CA
    (tmp_path / "web.crt").write_text(web.broker.cert)
    (tmp_path / "web.key").write_text(web.broker.key)
    (tmp_path / "web-ca.crt").write_text(web.ca.cert)
    port, server_dir = free_port(), tls_hall.root / "server"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLQ_")} | {
        "HALLQ_HALL": hall_code,
        "HALLQ_INSTANCE": hall_code,
        "HALLQ_SECRET_KEY_FILE": str(secret),
        "HALLQ_BROKER_URL": f"mqtts://127.0.0.1:{tls_hall.tls_port}",
        "HALLQ_BROKER_CA_FILE": str(server_dir / "ca.crt"),
        "HALLQ_BROKER_CERT_FILE": str(server_dir / "hallq-server.crt"),
        "HALLQ_BROKER_KEY_FILE": str(server_dir / "hallq-server.key"),
        "HALLQ_HTTP_CERT_FILE": str(tmp_path / "web.crt"),
        "HALLQ_HTTP_KEY_FILE": str(tmp_path / "web.key"),
    }
    statuses: queue.Queue[Received] = queue.Queue()
    watcher = MqttLink(f"t-watch-{port}", tls_hall.server)  # the plain loopback listener
    watcher.subscribe(topics.server_status(hall_code), statuses.put)
    watcher.start()
    with (tmp_path / "server.log").open("w") as log:
        proc = subprocess.Popen([*HALLQ, "--db", db, "--port", str(port)], env=env, stdout=log, stderr=log)
    verify = ssl.create_default_context(cafile=str(tmp_path / "web-ca.crt"))
    try:
        with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=verify, timeout=WAIT) as client:

            def answers() -> bool:
                assert proc.poll() is None, (tmp_path / "server.log").read_text()
                try:
                    return client.get("/api/health").status_code == 200
                except httpx.TransportError:
                    return False

            eventually(answers, 30, what="hallq server answering over HTTPS", interval=0.1)
            health = client.get("/api/health")
            assert health.headers["strict-transport-security"].startswith("max-age=")
            sign_in = {"hall": hall_code, "login": "zhang", "password": PASSWORD}
            signed = client.post("/api/auth/token", json=sign_in)
            assert signed.status_code == 200, signed.text
            assert "; secure" in signed.headers["set-cookie"].lower()
        # The server's link came up through the TLS listener: its retained status says online.
        status = decode(ServerStatus, statuses.get(timeout=scaled(WAIT)).payload)
        while status.state != "online":
            status = decode(ServerStatus, statuses.get(timeout=scaled(WAIT)).payload)
        assert status.instance == hall_code
    finally:
        watcher.stop()
        proc.terminate()
        proc.wait(scaled(30))


def test_an_unusable_https_certificate_is_one_line(tmp_path: Path, hall_code: str) -> None:
    db = f"sqlite:///{tmp_path / 'hallq.db'}"
    build_hall(db, code=hall_code).close()
    secret = tmp_path / "secret.key"
    secret.write_text(secrets.token_hex(32))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLQ_")} | {
        "HALLQ_HALL": hall_code,
        "HALLQ_SECRET_KEY_FILE": str(secret),
        "HALLQ_BROKER_URL": f"mqtt://127.0.0.1:{free_port()}",  # nobody listens: the server waits for it
        "HALLQ_HTTP_CERT_FILE": str(tmp_path / "missing.crt"),
        "HALLQ_HTTP_KEY_FILE": str(tmp_path / "missing.key"),
    }
    done = subprocess.run(
        [*HALLQ, "--db", db, "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(60),
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"hallq server: HTTPS certificate {tmp_path / 'missing.crt'}: " in done.stderr
