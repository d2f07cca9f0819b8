"""Tracing: the tier engine, quarantine plans, tracer tasks, chains and clusters.

The installation wires `LISTENERS` into the platform, so that every report updates tiers, plans, tasks
and cluster alerts in its own transaction, and `RELATIONSHIPS`, so that the guard lets a tracer reach
only the people assigned to them.
"""

from __future__ import annotations

from collections.abc import Mapping

from serment.access import ChangeListener, RelationshipCheck
from serment.tracing.clusters import detect_clusters
from serment.tracing.standings import after_change
from serment.tracing.tasks import is_assigned

LISTENERS: tuple[ChangeListener, ...] = (after_change, detect_clusters)
RELATIONSHIPS: Mapping[str, RelationshipCheck] = {"assigned": is_assigned}

__all__ = ["LISTENERS", "RELATIONSHIPS"]
