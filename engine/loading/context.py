"""What the stages of loading share: parsed files with positions, and the diagnostics found."""

from __future__ import annotations

from datetime import date

from engine.diagnostics import Diagnostic
from engine.loading.yaml_nodes import Located, PathKey
from engine.rules.origin import Origin

__all__ = ["LoadContext"]


class LoadContext:
    """Parsed files by path and the diagnostics gathered so far."""

    def __init__(self) -> None:
        self.files: dict[str, Located] = {}
        self.diagnostics: list[Diagnostic] = []
        self.invalid: set[tuple[str, PathKey]] = set()
        """Places where the schema failed; items containing one are not built."""
        self.rule_ids: set[str] = set()
        """Ids of every pricing rule written in the files, built or not."""
        self.written_rules: list[tuple[str, str, int]] = []
        """(id, file, position in its ``rules``) of every pricing rule written, in order."""

    def is_valid(self, filename: str, pointer: PathKey) -> bool:
        """Whether no schema error lies at or below ``pointer`` in ``filename``."""
        size = len(pointer)
        return not any(f == filename and p[:size] == pointer for f, p in self.invalid)

    def report(self, filename: str, pointer: PathKey, code: str, message: str) -> None:
        """Add a diagnostic located at ``pointer`` inside ``filename``."""
        located = self.files.get(filename)
        line, column = located.position(pointer) if located else (1, 1)
        self.diagnostics.append(Diagnostic(path=filename, line=line, column=column,
                                           code=code, message=message))

    def report_at(self, origin: Origin, sub: PathKey, code: str, message: str) -> None:
        """Add a diagnostic at ``sub`` below the item ``origin`` points to."""
        self.report(origin.path, (*origin.pointer, *sub), code, message)

    def line_of(self, filename: str, pointer: PathKey) -> int:
        """Line of ``pointer`` in ``filename``."""
        located = self.files.get(filename)
        return located.position(pointer)[0] if located else 1

    def parse_date(self, filename: str, pointer: PathKey, text: str) -> date | None:
        """A ``YYYY-MM-DD`` that the schema let through, checked for being a real date."""
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.report(filename, pointer, "date.invalid",
                        f"{text!r} is not a calendar date; expected YYYY-MM-DD such as 2026-07-01")
            return None
