"""Catalog administration (目录化动态管理): drafts of matters, a second administrator's review,
publishing as a new version, every version and step kept, diffs between versions.

``specs.py`` holds the pure parts (a matter's content as the hall file writes it, validated by the
hall file's own model and checks; the diff of two versions), ``workflow.py`` the use cases,
``reads.py`` what the pages read, ``facade.py`` their part of ``Services``.
"""
