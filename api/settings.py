"""Settings of the HTTP API, built by ``bareme serve`` (or by tests) and given to ``create_app``."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from pathlib import Path

import msgspec

from api.keys import ApiKey, KeyFileError, keys_from_pairs, parse_key_file

__all__ = ["INLINE_RECORDS", "ApiSettings", "bind_address", "is_loopback",
           "keys_from_environment"]

INLINE_RECORDS = 32
"""Default of ``ApiSettings.inline_records``: 20 records evaluate in about 0.5 ms."""


class ApiSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the app needs; no field is read from the environment by the app itself."""

    repo: str
    """Rules repository (a git working tree)."""
    data_dir: str = ".bareme"
    """Archive files (and the default SQLite database) live here."""
    database_url: str = ""
    """Operational store and archive records; empty: SQLite in ``data_dir``."""
    host: str = "127.0.0.1"
    port: int = 8000
    customers_file: str | None = None
    """YAML or JSON list of customers that ``"customer": "<id>"`` looks up."""
    keys: tuple[ApiKey, ...] = ()
    """Accepted keys, hashed."""
    dev: bool = False
    """Development mode: no key needed, every role granted; loopback hosts only."""
    max_body_bytes: int = 2_000_000
    """Larger requests get 413 before their body is read past this size."""
    max_records: int = 10_000
    """Usage records per evaluation; more get 413."""
    memo_size: int = 1024
    """Evaluations remembered by input digest (0: none); see :mod:`api.memo`."""
    evaluation_threads: int = 1
    """Evaluations running at once per worker process (they hold the GIL)."""
    inline_records: int = INLINE_RECORDS
    """Evaluations of at most this many records run in the event loop itself, not in a
    thread: under a millisecond of work (less than decoding a large body holds the loop),
    where the hand-over to a thread and back would cost more than the evaluation and
    double the p99. 0: every evaluation runs in a thread."""
    head_ttl: float = 1.0
    """Seconds a resolved ``HEAD`` (or branch) is reused before git is asked again."""
    access_log: str = "-"
    """Where JSON access-log lines go: ``-`` for stdout, a file path, or empty for none."""
    workers: int = 1
    server: str = "granian"
    """``granian`` or ``uvicorn``."""

    def __post_init__(self) -> None:
        bind_address(self.host)  # a name that does not resolve is refused here, named
        if self.dev and not is_loopback(self.host):
            raise ValueError(f"development mode (no API keys) is for loopback hosts only; "
                             f"got host {self.host!r}")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(bind_address(host)).is_loopback
    except ValueError:
        return False


def bind_address(host: str) -> str:
    """The IP address to listen on for ``host``.

    An address is itself; a name is the first address it resolves to (IPv4 first;
    ``localhost`` is 127.0.0.1).

    >>> bind_address("::1"), bind_address("localhost")
    ('::1', '127.0.0.1')

    A name that does not resolve is a ``ValueError`` naming it.
    """
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host == "localhost":
        return "127.0.0.1"
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ValueError(f"host {host!r} is neither an IP address nor a name this machine "
                         f"resolves ({exc})") from None
    addresses = sorted({str(info[4][0]) for info in found},
                       key=lambda a: (ipaddress.ip_address(a).version, a))
    if not addresses:
        raise ValueError(f"host {host!r} resolves to no address")
    return addresses[0]


def keys_from_environment(env: Mapping[str, str] | None = None) -> tuple[ApiKey, ...]:
    """Keys of ``BAREME_API_KEYS_FILE`` (hashed entries) and ``BAREME_API_KEYS`` (pairs)."""
    env = os.environ if env is None else env
    keys: list[ApiKey] = []
    if path := env.get("BAREME_API_KEYS_FILE"):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise KeyFileError(f"BAREME_API_KEYS_FILE: cannot read {path}: "
                               f"{exc.strerror or exc}") from None
        keys.extend(parse_key_file(text, path))
    if pairs := env.get("BAREME_API_KEYS"):
        keys.extend(keys_from_pairs(pairs))
    return tuple(keys)
