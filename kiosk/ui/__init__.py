"""The Kivy face of the kiosk: thin over :mod:`kiosk.model`. Importing it imports Kivy."""
