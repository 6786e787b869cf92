"""Kivy screens. Importing a module here imports Kivy: only ``display.cli`` does, when a screen opens."""
