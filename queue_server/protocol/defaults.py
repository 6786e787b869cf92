"""Hall defaults every hallq process shares: the time zone times are shown in, a neutral hall name.

They live in the contract because kiosks and displays may import ``queue_server.protocol`` and
nothing else of the server (docs/design/ARCHITECTURE.md), while the domain layer needs the same time zone.
Standard library only, so importing them costs the pure layers nothing new.
"""

from __future__ import annotations

from typing import Final
from zoneinfo import ZoneInfo

# IANA name of the default hall time zone; a hall elsewhere configures its own (``hall.tz``).
HALL_TZ_NAME: Final = "Asia/Shanghai"
HALL_TZ: Final = ZoneInfo(HALL_TZ_NAME)

# What a screen calls the hall until it has learned the hall's own name (config, state or catalog).
DEFAULT_HALL_NAME: Final = "政务服务中心"

# A device republishes its retained status at least this often (its heartbeat), so the server can
# tell a device that stopped from one that is quiet (docs/design/PROTOCOL.md, "Device status").
DEVICE_HEARTBEAT_S: Final = 30.0
