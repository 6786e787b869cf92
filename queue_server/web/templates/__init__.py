"""HTML shells of the window pages (package data)."""
