"""What the fuzzers found, kept as plain tests: each was a server error (500, or ``internal`` over
MQTT) and is now the client's ``bad_request``."""

from __future__ import annotations

import json

from queue_server.mqtt.dispatch import read_request
from queue_server.protocol.messages import Response
from tests.web.conftest import Web


def test_a_number_past_what_the_database_stores_is_a_bad_request(web: Web) -> None:
    # SQLite refuses to bind an integer past 64 bits.
    reply = web.anonymous().get(f"/api/halls/{web.code}/calls?since={2**70}")
    assert reply.status_code == 422, reply.text
    assert reply.json()["data"] == {"reason": "value out of range"}


def test_a_day_whose_start_is_before_year_one_is_a_bad_request(web: Web) -> None:
    # 0001-01-01 at midnight in the hall's zone (UTC+8) is before year 1 in UTC.
    reply = web.login("manager").get(f"/api/halls/{web.code}/door-visits?day=0001-01-01")
    assert reply.status_code == 422, reply.text
    assert reply.json()["data"] == {"reason": "value out of range"}


def test_an_empty_appointment_code_is_a_bad_request_on_both_doors(web: Web) -> None:
    body = {"appointment": "", "service": "A"}
    reply = web.login("manager").post(f"/api/halls/{web.code}/tickets", json=body)
    assert reply.status_code == 422, reply.text
    payload = json.dumps({"id": "r1", "op": "ticket.issue", "args": body}).encode()
    answer = read_request(web.code, "kiosk-1", payload)
    assert isinstance(answer, Response) and answer.error is not None
    assert (answer.id, answer.error.code) == ("r1", "bad_request")
