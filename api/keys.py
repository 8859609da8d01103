"""API keys: roles, salted SHA-256 digests, and the key ring that checks a presented key.

Keys are 256-bit random tokens (``bareme keys new``), so a fast salted hash suffices: a slow
password hash protects guessable secrets, not random ones. Only digests are kept; a presented
key is compared with every entry in constant time (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Literal, get_args

import msgspec

__all__ = ["ROLES", "ApiKey", "KeyFileError", "KeyRing", "Role", "hash_key", "keys_from_pairs",
           "new_key", "parse_key_file", "render_entry"]

Role = Literal["billing", "pricing", "auditor", "tax_reviewer"]
ROLES: tuple[str, ...] = get_args(Role)
_SCHEME = "sha256"


class KeyFileError(ValueError):
    """A keys file or ``BAREME_API_KEYS`` value that cannot be read."""


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """One accepted key, as stored: never the key itself."""

    name: str
    """Who holds the key; printed in access logs."""
    roles: tuple[str, ...]
    salt: str
    """Hex salt, unique to the key."""
    digest: str
    """Hex SHA-256 of salt and key."""


def hash_key(key: str, salt: str | None = None) -> tuple[str, str]:
    """``(salt, digest)`` of ``key``; a fresh salt unless one is given."""
    salt = salt if salt is not None else secrets.token_hex(16)
    digest = hashlib.sha256(bytes.fromhex(salt) + key.encode("utf-8")).hexdigest()
    return salt, digest


def new_key() -> str:
    """A fresh random key (256 bits, URL-safe)."""
    return "bk_" + secrets.token_urlsafe(32)


def render_entry(name: str, roles: Iterable[str], key: str) -> str:
    """The keys-file line of ``key``: ``name roles sha256:salt:digest``."""
    salt, digest = hash_key(key)
    return f"{name} {','.join(roles)} {_SCHEME}:{salt}:{digest}"


def parse_key_file(text: str, source: str) -> tuple[ApiKey, ...]:
    """Entries of a keys file: one ``name roles sha256:salt:digest`` per line, ``#`` comments."""
    keys: list[ApiKey] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 3 or parts[2].count(":") != 2:
            raise KeyFileError(f"{source}:{number}: expected 'name roles sha256:salt:digest' "
                               "(see 'bareme keys new')")
        name, roles, hashed = parts
        scheme, salt, digest = hashed.split(":")
        if scheme != _SCHEME:
            raise KeyFileError(f"{source}:{number}: unsupported hash {scheme!r}; expected "
                               "sha256:<hex salt>:<64 hex digits>")
        if not _is_hex(salt) or len(digest) != 64 or not _is_hex(digest):
            raise KeyFileError(f"{source}:{number}: the salt and digest must be hexadecimal, "
                               "the digest 64 digits: sha256:<hex salt>:<64 hex digits> (see "
                               "'bareme keys new')")
        keys.append(ApiKey(name=name, roles=_roles(roles.split(","), f"{source}:{number}"),
                           salt=salt, digest=digest))
    return tuple(keys)


def keys_from_pairs(text: str) -> tuple[ApiKey, ...]:
    """Keys of ``BAREME_API_KEYS`` (``role=key`` pairs, comma-separated), hashed at once.

    One key given for several roles holds all of them.
    """
    roles_of: dict[str, list[str]] = {}
    for number, pair in enumerate((p.strip() for p in text.split(",")), start=1):
        if not pair:
            continue
        role, sep, key = pair.partition("=")
        if not sep or not key.strip():
            raise KeyFileError(f"BAREME_API_KEYS: pair {number} must be role=key")
        roles_of.setdefault(key.strip(), []).extend(_roles([role.strip()], "BAREME_API_KEYS"))
    keys = []
    for index, (key, roles) in enumerate(roles_of.items(), start=1):
        salt, digest = hash_key(key)
        keys.append(ApiKey(name=f"env-{index}-{'+'.join(roles)}", roles=tuple(roles),
                           salt=salt, digest=digest))
    return tuple(keys)


def _roles(names: Iterable[str], where: str) -> tuple[str, ...]:
    roles = tuple(names)
    for role in roles:
        if role not in ROLES:
            raise KeyFileError(f"{where}: unknown role {role!r}; roles are {', '.join(ROLES)}")
    return roles


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return bool(text)


class KeyRing:
    """The accepted keys; identifies a presented key without revealing which entry failed."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self._entries = tuple((key, bytes.fromhex(key.salt), bytes.fromhex(key.digest))
                              for key in keys)

    def __len__(self) -> int:
        return len(self._entries)

    def identify(self, presented: str) -> ApiKey | None:
        """The entry of ``presented``, checking every entry so timing does not tell which.

        A key listed in several entries (lines of the keys file, pairs of
        ``BAREME_API_KEYS``) holds the roles of all of them, under the first entry's name.
        """
        data = presented.encode("utf-8")
        found: list[ApiKey] = []
        for key, salt, digest in self._entries:
            if hmac.compare_digest(hashlib.sha256(salt + data).digest(), digest):
                found.append(key)
        if len(found) <= 1:
            return found[0] if found else None
        roles = dict.fromkeys(role for key in found for role in key.roles)
        return msgspec.structs.replace(found[0], roles=tuple(roles))

