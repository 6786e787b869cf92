"""Static files of the browser pages (package data)."""
