"""Progress bars on stderr for long commands: one bar per stage a job reports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["staged_progress"]

StageReport = Callable[[str, int, int], None]
"""``report(stage, done, total)``, as batch jobs call it."""


@contextmanager
def staged_progress(counts: bool = True) -> Iterator[StageReport]:
    """A ``report(stage, done, total)`` that draws one transient bar per stage.

    ``counts`` shows ``done/total``; otherwise a percentage (for sizes such as bytes).
    """
    amount: ProgressColumn = MofNCompleteColumn() if counts else TaskProgressColumn()
    console = Console(stderr=True, soft_wrap=True)
    # Bars are for terminals; redirected, stderr holds only the command's messages.
    with Progress(TextColumn("{task.description}"), BarColumn(), amount, TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report
