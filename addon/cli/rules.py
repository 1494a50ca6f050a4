"""`playhead rules` and `playhead explain RULE`: the rule catalogue, from the registry itself."""

from __future__ import annotations

import argparse
import difflib

from . import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rules", help="list every rule with its id and severity")
    p.set_defaults(run=run_rules)
    e = sub.add_parser("explain", help="explain one rule: what it means for Adobe's reports, how to fix it")
    e.add_argument("rule", metavar="RULE")
    e.set_defaults(run=run_explain)


def _registry():
    from ..core import protocols, rules  # noqa: F401 - importing registers every rule
    from ..core.findings import REGISTRY

    return REGISTRY


def run_rules(args: argparse.Namespace) -> int:
    registry = _registry()
    width = max(len(r.id) for r in registry)
    family = None
    for r in sorted(registry, key=lambda r: (r.family, r.id)):
        if r.family != family:
            family = r.family
            print(f"\n{family}")
        print(f"  {r.id:<{width}}  {r.severity_label:<15} {r.summary}")
    print(f"\n{len(registry.rules)} rules. `playhead explain RULE` for the impact, the fix and the source.")
    return 0


def run_explain(args: argparse.Namespace) -> int:
    registry = _registry()
    if args.rule not in registry:
        close = difflib.get_close_matches(args.rule, list(registry.rules), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `playhead rules` lists them"
        raise UsageError(f"no rule {args.rule!r}{hint}")
    r = registry[args.rule]
    print(f"{r.id}  ({r.severity_label}, family {r.family})\n")
    print(f"Fires when: {r.summary}")
    print(f"Impact:     {r.impact}")
    print(f"Fix:        {r.fix}")
    print(f"Source:     {r.source}")
    return 0
