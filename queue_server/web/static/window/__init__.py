"""Scripts and styles of the counter console, the manage page and the citizen page (package data)."""
