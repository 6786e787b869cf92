"""Device provisioning: registry, broker credentials, Mosquitto password file and ACL, device bundles.

Render (pure) and write (I/O) are separate, ESPHome-wizard style: ``render_bundle`` builds every
file in memory from a hall file and the credentials; ``write_bundle`` writes them 0600.
"""

from .broker import BrokerSettings, TlsSettings, render_acl, render_mosquitto_conf
from .bundle import Bundle, BundleFile, read_credentials, render_bundle, usernames, write_bundle
from .credentials import (
    SERVER_USER,
    Credential,
    ensure_credentials,
    mosquitto_hash,
    new_credential,
    render_password_file,
)
from .devices import DeviceConfigFile, DeviceEntry, device_registry, read_device_config, render_device_config
from .units import UnitSettings, render_device_unit, render_server_unit

__all__ = [
    "SERVER_USER",
    "BrokerSettings",
    "Bundle",
    "BundleFile",
    "Credential",
    "DeviceConfigFile",
    "DeviceEntry",
    "TlsSettings",
    "UnitSettings",
    "device_registry",
    "ensure_credentials",
    "mosquitto_hash",
    "new_credential",
    "read_credentials",
    "read_device_config",
    "render_acl",
    "render_bundle",
    "render_device_config",
    "render_device_unit",
    "render_mosquitto_conf",
    "render_password_file",
    "render_server_unit",
    "usernames",
    "write_bundle",
]
