"""Key files, ``BAREME_API_KEYS`` and the key ring."""

from __future__ import annotations

import socket
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.keys import (
    KeyFileError,
    KeyRing,
    keys_from_pairs,
    new_key,
    parse_key_file,
    render_entry,
)
from api.settings import bind_address, is_loopback, keys_from_environment
from bareme.cli import cli
from bareme.errors import run_guarded


def test_a_rendered_entry_identifies_its_key_only() -> None:
    line = render_entry("alice", ["billing", "auditor"], "s3cret")
    assert "s3cret" not in line
    (key,) = parse_key_file(f"# comment\n\n{line}  # trailing\n", "keys")
    ring = KeyRing([key])
    assert ring.identify("s3cret") == key
    assert key.roles == ("billing", "auditor")
    assert ring.identify("s3cret ") is None
    assert ring.identify("") is None


def test_salts_differ_between_entries() -> None:
    assert render_entry("a", ["billing"], "k") != render_entry("a", ["billing"], "k")


@pytest.mark.parametrize(("text", "message"), [
    ("alice billing", "expected 'name roles"),
    ("alice billing md5:00:11", "unsupported hash"),
    ("alice admin sha256:00:" + "0" * 64, "unknown role 'admin'"),
])
def test_a_bad_key_file_names_the_line(text: str, message: str) -> None:
    with pytest.raises(KeyFileError, match=message) as error:
        parse_key_file("# keys\n" + text, "keys.txt")
    assert "keys.txt:2" in str(error.value)


def test_environment_pairs_and_file_are_both_read(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(render_entry("ops", ["auditor"], "from-file") + "\n")
    keys = keys_from_environment({"BAREME_API_KEYS_FILE": str(path),
                                  "BAREME_API_KEYS": "billing=from-env"})
    ring = KeyRing(keys)
    assert [k.roles for k in keys] == [("auditor",), ("billing",)]
    assert ring.identify("from-file") is not None and ring.identify("from-env") is not None
    with pytest.raises(KeyFileError, match="role=key"):
        keys_from_pairs("billing")
    with pytest.raises(KeyFileError, match="cannot read"):
        keys_from_environment({"BAREME_API_KEYS_FILE": str(tmp_path / "missing")})


def test_bareme_keys_new_and_hash_make_entries() -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["keys", "new", "--name", "svc", "--role", "billing"])
    assert made.exit_code == 0, made.output
    key = made.stderr.strip().rsplit(" ", 1)[-1]
    (entry,) = parse_key_file(made.stdout, "stdout")
    assert KeyRing([entry]).identify(key) == entry
    hashed = runner.invoke(cli, ["keys", "hash", "--name", "svc", "--role", "pricing"],
                           input=f"{key}\n")
    (again,) = parse_key_file(hashed.stdout, "stdout")
    assert KeyRing([again]).identify(key) is not None


def test_bareme_serve_refuses_to_run_without_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAREME_API_KEYS", raising=False)
    monkeypatch.delenv("BAREME_API_KEYS_FILE", raising=False)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code != 0
    assert "no API keys" in result.output
    result = CliRunner().invoke(cli, ["serve", "--dev", "--host", "0.0.0.0"])
    assert "loopback" in result.output


def test_bareme_serve_names_a_host_it_cannot_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAREME_API_KEYS", "billing=" + "k" * 32)
    result = CliRunner().invoke(cli, ["serve", "--host", "no-such-host.invalid"])
    assert result.exit_code == 1
    assert "'no-such-host.invalid'" in result.output
    assert "Traceback" not in result.output


def test_host_names_resolve_to_the_address_served() -> None:
    assert bind_address("localhost") == "127.0.0.1"
    assert bind_address("::1") == "::1"
    assert is_loopback("localhost") and not is_loopback("0.0.0.0")


@pytest.mark.parametrize(("args", "named"), [
    (["--customers", "/nonexistent/customers.yaml"], "--customers /nonexistent/customers.yaml"),
    (["--access-log", "/nonexistent/dir/access.log"], "--access-log /nonexistent/dir"),
    (["--host", "192.0.2.1"], "is not an address of this machine"),
    (["--port", "70000"], "'--port'"),
])
def test_bareme_serve_names_a_bad_setting_before_starting(
        monkeypatch: pytest.MonkeyPatch, args: list[str], named: str) -> None:
    monkeypatch.setenv("BAREME_API_KEYS", "billing=" + "k" * 32)
    result = CliRunner().invoke(cli, ["serve", *args])
    assert result.exit_code != 0
    assert named in result.output
    assert "Traceback" not in result.output


def test_bareme_serve_refuses_a_port_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAREME_API_KEYS", "billing=" + "k" * 32)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"127.0.0.1:{port} is in use" in result.output


@pytest.mark.parametrize("url", ["bogus://x", "not a url", "mysql://x", "mysql+pymysql://u:secret@x/db"])
def test_a_bad_database_url_is_named(url: str) -> None:
    result = CliRunner().invoke(cli, ["--database-url", url, "versions"])
    assert result.exit_code != 0
    assert "--database-url" in result.output and "Traceback" not in result.output
    assert "internal error" not in result.output and "secret" not in result.output


def test_a_key_in_several_entries_holds_all_their_roles() -> None:
    key = new_key()
    text = (render_entry("svc", ("billing",), key) + "\n"
            + render_entry("svc-bis", ("pricing",), key) + "\n"
            + render_entry("other", ("auditor",), new_key()) + "\n")
    ring = KeyRing(parse_key_file(text, "keys.txt") + keys_from_pairs(f"tax_reviewer={key}"))
    found = ring.identify(key)
    assert found is not None
    assert (found.name, found.roles) == ("svc", ("billing", "pricing", "tax_reviewer"))


def test_an_unreachable_database_is_named_not_an_internal_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = run_guarded(partial(cli.main, ["--database-url",
                                          "postgresql+psycopg://u@127.0.0.1:1/x",
                                          "archive", "verify"]))
    error = capsys.readouterr().err
    assert code == 1
    assert "cannot be used" in error and "internal error" not in error


@pytest.mark.parametrize("name", ["a b", "", "x#y", " padded"])
def test_a_key_name_the_keys_file_cannot_hold_is_refused_before_the_key_is_shown(
        name: str) -> None:
    result = CliRunner().invoke(cli, ["keys", "new", "--name", name, "--role", "billing"])
    assert result.exit_code == 2
    assert "one word without spaces" in result.output and "bk_" not in result.output


def test_a_malformed_digest_is_named_as_such() -> None:
    with pytest.raises(KeyFileError, match="must be hexadecimal"):
        parse_key_file("svc billing sha256:zz:yy\n", "keys.txt")
    with pytest.raises(KeyFileError, match="unsupported hash 'md5'"):
        parse_key_file("svc billing md5:ab:cd\n", "keys.txt")


def test_an_empty_keys_file_is_named_as_empty(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "keys.txt"
    empty.write_text("# no keys yet\n")
    monkeypatch.setenv("BAREME_API_KEYS_FILE", str(empty))
    monkeypatch.delenv("BAREME_API_KEYS", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "BAREME_API_KEYS_FILE hold(s) none" in result.output
