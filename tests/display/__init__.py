"""Tests of the hall display, the window display and voice calls (display/)."""
