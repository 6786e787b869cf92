"""ESC/POS: named commands, a pure byte builder that prints Chinese, status decoding."""
