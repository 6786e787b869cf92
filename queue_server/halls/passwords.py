"""Initial staff passwords: from the environment, a secrets file, the caller, or generated (development).

A hall file never holds a password. Per person, in order: the password the caller passes (``given``),
the variable named by ``password_env``, the file named by ``password_file``; a person with no source
is a development account and gets ``HALLQ_DEMO_PASSWORD`` when set, else a random password the caller
shows once. Only people without an account yet need one: loading a hall again never resets passwords.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .schema import Staff

DEMO_PASSWORD_ENV = "HALLQ_DEMO_PASSWORD"  # noqa: S105  (a variable name, not a password)
"""Development halls: one password for every person who has no password source in the hall file."""

MIN_LENGTH = 8


class PasswordError(ValueError):
    """A password source named in the hall file is missing, unreadable or too short."""


@dataclass(frozen=True, slots=True)
class InitialPasswords:
    passwords: dict[str, str]
    generated: dict[str, str] = field(default_factory=dict)
    """The subset that was generated here: show these once, they are stored only as hashes."""


def generate_password() -> str:
    """Random, readable aloud over a counter: 12 characters from an unambiguous alphabet."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def initial_passwords(
    staff: Iterable[Staff],
    *,
    given: Mapping[str, str] | None = None,
    environ: Mapping[str, str],
    allow_dev: bool = True,
) -> InitialPasswords:
    """A password for each person in ``staff`` (pass only those without an account yet).

    ``allow_dev`` False (production): a person without a given password or a source is an error.
    """
    passwords: dict[str, str] = {}
    generated: dict[str, str] = {}
    problems: list[str] = []
    for person in staff:
        try:
            password, made = _one(person, given or {}, environ, allow_dev)
        except PasswordError as exc:
            problems.append(f"{person.login}: {exc}")
            continue
        if len(password) < MIN_LENGTH:
            problems.append(f"{person.login}: the initial password is shorter than {MIN_LENGTH} characters")
            continue
        passwords[person.login] = password
        if made:
            generated[person.login] = password
    if problems:
        raise PasswordError("; ".join(problems))
    return InitialPasswords(passwords, generated)


def _one(
    person: Staff, given: Mapping[str, str], environ: Mapping[str, str], allow_dev: bool
) -> tuple[str, bool]:
    if person.login in given:
        return given[person.login], False
    if person.password_env is not None:
        value = environ.get(person.password_env)
        if not value:
            raise PasswordError(f"environment variable {person.password_env} is not set")
        return value, False
    if person.password_file is not None:
        try:
            value = Path(person.password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise PasswordError(f"cannot read password file {person.password_file}: {exc.strerror}") from exc
        if not value:
            raise PasswordError(f"password file {person.password_file} is empty")
        return value, False
    if not allow_dev:
        raise PasswordError("no password_env or password_file, and development passwords are refused here")
    demo = environ.get(DEMO_PASSWORD_ENV)
    if demo:
        return demo, False
    return generate_password(), True
