"""The rule families, one module each, written against the engine's neutral vocabulary (no wire
key, no protocol); importing this package registers their rules. The protocols' own body checks
and rules live with their adapters in core/protocols."""

from .ads import AdChecks
from .body import BodyChecks
from .cadence import CadenceChecks
from .chapters import ChapterChecks
from .http import HttpChecks
from .lifecycle import LifecycleChecks
from .metadata import MetadataChecks
from .ordering import OrderingChecks
from .playhead import PlayheadChecks
from .states import StateChecks

# The timeline families every protocol shares; each session runs its protocol's body checks (a
# BodyChecks) before them. No family depends on another having run first.
FAMILIES = [HttpChecks, OrderingChecks, LifecycleChecks, CadenceChecks, AdChecks,
            ChapterChecks, StateChecks, PlayheadChecks, MetadataChecks]

__all__ = ["FAMILIES", "AdChecks", "BodyChecks", "CadenceChecks", "ChapterChecks", "HttpChecks",
           "LifecycleChecks", "MetadataChecks", "OrderingChecks", "PlayheadChecks", "StateChecks"]
