"""The rule families, one module each; importing this package registers every rule."""

from .ads import AdChecks
from .body import BodyChecks
from .cadence import CadenceChecks
from .chapters import ChapterChecks
from .http import HttpChecks
from .lifecycle import LifecycleChecks
from .ordering import OrderingChecks
from .playhead import PlayheadChecks
from .states import StateChecks

# Order: per-call checks first, then the sequence families.
FAMILIES = [BodyChecks, HttpChecks, OrderingChecks, LifecycleChecks, CadenceChecks, AdChecks,
            ChapterChecks, StateChecks, PlayheadChecks]
