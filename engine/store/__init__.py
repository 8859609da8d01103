"""Where ruleset bytes come from: the :class:`RuleSource` protocol and its git implementation."""

from engine.store.source import RuleFile, RuleSource, StaticSource

__all__ = ["RuleFile", "RuleSource", "StaticSource"]
