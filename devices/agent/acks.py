"""Publish and wait for the broker's PUBACK, without the lock-order deadlock of ``publish_and_wait``.

``MqttLink.publish_and_wait`` holds its acknowledgement condition while it calls paho's ``publish``
(which takes paho's out-message lock); paho's network thread holds that lock while it calls
``on_publish`` (which takes the condition). A PUBACK of another message arriving at that moment
(the agent's status, republished after every reconnect) hangs both threads for good. Until the link
is fixed (reported to the integrator), the agent publishes first and waits afterwards, on the same
bookkeeping the link keeps; the acknowledgement cannot be missed because the link records every
acknowledged message id.
"""

from __future__ import annotations

from pydantic import BaseModel

from queue_server.protocol.client import MqttLink


def publish_confirmed(
    link: MqttLink, topic: str, payload: BaseModel, *, timeout: float, retain: bool = False
) -> bool:
    """QoS 1 publish; True once the broker acknowledged it, False after ``timeout`` seconds."""
    mid = link.publish(topic, payload, qos=1, retain=retain)
    cond, acked = link._ack_cond, link._acked  # see the module docstring
    with cond:
        if not cond.wait_for(lambda: mid in acked, timeout):
            return False
        acked.discard(mid)
        return True
