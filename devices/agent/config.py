"""The window agent's configuration: the ``device.toml`` provisioning writes, plus the agent's ports.

``[device]`` and ``[broker]`` are provisioning's tables (``hallq provision``); the agent reads the
fields it needs and tolerates the others (``kind``, ``hall_name``, ``services`` …), so a newer
provisioning does not break an older agent. The tables only the agent reads are strict: a misspelt
port key must stop the agent at start, not leave a device silently unconnected::

    [device]
    hall = "demo"
    id = "demo-win-5-agent"
    window = "5"

    [broker]
    host = "10.0.0.2"
    port = 1883
    username = "demo-win-5-agent"
    password = "…"

    [keypad]
    path = "/dev/serial/by-id/usb-…-keypad-if00"

    [rating_pad]
    path = "/dev/serial/by-id/usb-…-pad-if00"

    [sign]
    address = 1
    encoding = "gb2312"
    [sign.port]
    path = "/dev/serial/by-id/usb-…-sign-if00"

    [agent]
    pause_reason = "临时离开"
    pause_reasons = { 1 = "临时离开", 2 = "业务咨询" }
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from devices.agent.keys import DEFAULT_FINISH_OUTCOMES, DEFAULT_PAUSE_REASON, DEFAULT_PAUSE_REASONS, KeyMap
from devices.keypad.keypad import DEFAULT_DEBOUNCE_S as KEYPAD_DEBOUNCE_S
from devices.ratingpad.protocol import DEFAULT_DEBOUNCE_S as PAD_DEBOUNCE_S
from devices.ratingpad.protocol import DEFAULT_PROMPT_GUARD_S
from devices.serialport import SerialPortConfig
from devices.sign import SignConfig
from queue_server.protocol.device_file import BrokerTable, DeviceIdentity


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# [device] and [broker] are provisioning's tables, lenient (extra fields ignored), shared with the kiosk
# and the screens (queue_server.protocol.device_file).
class DeviceSection(DeviceIdentity):
    """Provisioning's ``[device]`` table (``protocol.device_file``): an agent needs its window."""

    window: str = Field(description="the window number this agent serves (the server must bind it too)")


class BrokerSection(BrokerTable):
    host: str = "127.0.0.1"


class AgentOptions(_Strict):
    data_dir: Path | None = Field(
        default=None, description="outbox and boot counter; default $STATE_DIRECTORY or ~/.local/share/hallq"
    )
    pause_reason: str = Field(
        default=DEFAULT_PAUSE_REASON, min_length=1, max_length=100, description="sent by a bare pause key"
    )
    pause_reasons: dict[int, str] = Field(
        default_factory=lambda: dict(DEFAULT_PAUSE_REASONS), description="pause key code → reason"
    )
    finish_outcomes: dict[int, str] = Field(
        default_factory=lambda: dict(DEFAULT_FINISH_OUTCOMES), description="finish key code → case type"
    )
    request_timeout_s: float = Field(
        default=3.0, gt=0, le=60, description="wait this long for a reply, then resend with the same id"
    )
    max_age_s: float = Field(
        default=900.0,
        ge=0,
        description="a key press older than this is not sent after an outage (0 = always send); "
        "ratings are always sent",
    )
    require_server_online: bool = Field(
        default=True,
        description="send only while a queue server's retained status says online (a broker that "
        "just restarted would acknowledge a rating no server is subscribed to receive)",
    )

    keypad_debounce_s: float = Field(
        default=KEYPAD_DEBOUNCE_S, ge=0, le=5, description="the same key again within this is a bounce"
    )
    pad_debounce_s: float = Field(
        default=PAD_DEBOUNCE_S,
        ge=0,
        le=5,
        description="rating keys within this after a taken one are bounces",
    )
    pad_prompt_guard_s: float = Field(
        default=DEFAULT_PROMPT_GUARD_S,
        ge=0,
        le=5,
        description="rating keys this soon after a prompt are the previous citizen's, not a rating",
    )

    def key_map(self) -> KeyMap:
        return KeyMap(self.pause_reason, dict(self.pause_reasons), dict(self.finish_outcomes))


class AgentConfig(_Strict):
    device: DeviceSection
    broker: BrokerSection = Field(default_factory=BrokerSection)
    keypad: SerialPortConfig | None = None
    rating_pad: SerialPortConfig | None = None
    sign: SignConfig | None = None
    agent: AgentOptions = Field(default_factory=AgentOptions)
    printer: dict[str, object] | None = Field(default=None, description="provisioning's; unused by the agent")

    def data_dir(self) -> Path:
        if self.agent.data_dir is not None:
            return self.agent.data_dir
        base = os.environ.get("STATE_DIRECTORY")  # set by systemd's StateDirectory=
        root = Path(base.split(":")[0]) if base else Path.home() / ".local/share/hallq"
        return root / f"agent-{self.device.id}"


def load_config(path: str | Path) -> AgentConfig:
    """Parse the agent's TOML file (ValueError subclasses for a bad file, OSError if unreadable or when
    its broker TLS files cannot be used); relative TLS file paths are read beside the file."""
    config = AgentConfig.model_validate(tomllib.loads(Path(path).read_text(encoding="utf-8")))
    broker = config.broker.beside(Path(path).parent)
    broker.check_tls()
    return config.model_copy(update={"broker": broker})
