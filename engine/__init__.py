"""Pure evaluation of versioned billing rules: no clock, no environment, no database.

Its only input is ruleset bytes read through a :class:`engine.store.RuleSource`.
"""
