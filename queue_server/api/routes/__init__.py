"""Thin routers: parse, call one service, return its model. Errors are mapped in ``api.problems``."""
