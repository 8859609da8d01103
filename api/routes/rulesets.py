"""Ruleset endpoints for pricing teams and auditors: versions, rules, validation, diff."""

from __future__ import annotations

from litestar import get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody

from api.convert import changes_out, diagnostics_out, ruleset_out, versions_out
from api.decoding import decoder_opt
from api.routes.common import problems, rules_errors, secured, services
from api.wire import DiffOut, RulesetOut, ValidateRequest, ValidationOut, VersionsOut
from engine.compare import compare_rulesets
from engine.diagnostics import Diagnostic
from engine.loading.families import FAMILIES
from engine.loading.ruleset import MANIFEST_PATH, load_ruleset
from engine.store.source import RULE_ROOTS, StaticSource

__all__ = ["ROUTES"]

_READERS = secured("pricing", "auditor")


@get("/v1/rulesets", **_READERS,
     sync_to_thread=True, tags=["rulesets"],
     summary="List ruleset versions", responses=problems("unknown-revision"))
def list_versions(state: State) -> VersionsOut:
    """Commits that changed rules, newest first, with the current HEAD."""
    rules = services(state).rules
    with rules_errors():
        head = rules.commit()
    return versions_out(head, rules.store.versions(head))


@get("/v1/rulesets/{rev:path}", **_READERS,
     sync_to_thread=True, tags=["rulesets"],
     summary="The rules of one version",
     responses=problems("invalid-ruleset", ("unknown-revision", 404)))
def show_ruleset(rev: FromPath[str], state: State) -> RulesetOut:
    """Every rule of the ruleset at ``rev`` (commit, branch or tag, ``/`` included), as loaded."""
    with rules_errors(not_found_status=404):
        ruleset = services(state).rules.at(rev.lstrip("/"))
    return ruleset_out(ruleset)


@post("/v1/rulesets/validate", **secured("pricing"),
      opt=decoder_opt(ValidateRequest),
      sync_to_thread=True, status_code=200, tags=["rulesets"], summary="Validate rule files",
      responses=problems("malformed-json", "invalid-request", "unknown-revision",
                         "too-large"))
def validate_files(data: JSONBody[ValidateRequest], state: State) -> ValidationOut:
    """Check uploaded files (laid over ``base`` when given); answer every problem, located."""
    files: dict[str, bytes | str] = {}
    if data.base is not None:
        rules = services(state).rules
        with rules_errors():
            files.update((f.path, f.data) for f in rules.store.read_files(
                rules.commit(data.base, field="base")))
    outside = [refused for path in sorted(data.files) if (refused := _refused(path))]
    files.update(data.files)
    ruleset, diagnostics = load_ruleset(StaticSource(files))
    found = [*outside, *diagnostics]
    return ValidationOut(valid=ruleset is not None and not outside,
                         rules=len(ruleset.rules) if ruleset else 0,
                         diagnostics=diagnostics_out(found))


@get("/v1/diff", **_READERS,
     sync_to_thread=True, tags=["rulesets"],
     summary="What changed between two versions",
     responses=problems("unknown-revision", "invalid-ruleset"))
def diff(base: FromQuery[str], head: FromQuery[str], state: State) -> DiffOut:
    """Rule by rule and version by version, from ``base`` to ``head``."""
    rules = services(state).rules
    with rules_errors():
        before, after = rules.at(base, field="base"), rules.at(head, field="head")
    return changes_out(before.commit, after.commit, compare_rulesets(before, after))


def _refused(path: str) -> Diagnostic | None:
    """Why an uploaded path would not be read as the rule file it seems to be, if so."""
    parts = path.split("/")
    if not path.startswith(RULE_ROOTS):
        code, message = "upload.outside_rules", (f"not under {' or '.join(RULE_ROOTS)}; "
                                                 "not a rule file")
    elif any(part in ("", ".", "..") for part in parts):
        code, message = "upload.bad_path", ("a path of the repository is written plainly: "
                                            "no empty, '.' or '..' parts")
    elif path != MANIFEST_PATH and not any(f.claims(path) for f in FAMILIES):
        code, message = "upload.ignored", ("no rule file is read from this path (rule files "
                                           "end in .yaml or .yml, under a known folder)")
    else:
        return None
    return Diagnostic(path=path, line=1, column=1, code=code, message=message)


ROUTES = (list_versions, show_ruleset, validate_files, diff)
