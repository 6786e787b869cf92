"""hallq hardware: ESC/POS printer, barcode scanner, rating pad, window LED sign, caller keypad.

Each driver is a pure byte/frame builder or codec, a thin transport that only moves bytes, and a
simulator (``devices.simulators``) that tests and ``hallq up --simulate-devices`` use. Nothing here
imports the kiosk, the displays or the queue server.
"""
