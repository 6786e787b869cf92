"""Process entry points: ``hallq server`` (server_cmd) and ``hallq up``."""
