"""The window device agent (``hallq agent``): a window's keypad, rating pad and LED sign on MQTT.

``WindowAgent(config).start()`` connects the devices named in an ``AgentConfig`` to the queue server;
``SimulatedWindow`` provides the three devices on pseudo-terminals. See docs/agent.md.
"""

from devices.agent.agent import WindowAgent
from devices.agent.config import AgentConfig, AgentOptions, BrokerSection, DeviceSection, load_config
from devices.agent.simulate import SimulatedWindow

__all__ = [
    "AgentConfig",
    "AgentOptions",
    "BrokerSection",
    "DeviceSection",
    "SimulatedWindow",
    "WindowAgent",
    "load_config",
]
