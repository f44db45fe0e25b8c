"""Consent insights: impressions counted without tracking, rates from the ledger, fair wording tests.

Needs the ``ledger`` extra (SQLAlchemy; psycopg for PostgreSQL). Framework-free except
:mod:`consent.insights.dashboard` (Flask), which is not imported here.
"""

from .counters import ImpressionCounter as ImpressionCounter
from .counters import configure_impressions as configure_impressions
from .counters import record_impression as record_impression
from .decisions import sync_decisions as sync_decisions
from .errors import InsightsError as InsightsError
from .errors import VariantError as VariantError
from .rates import Report as Report
from .rates import build_report as build_report
from .rates import current_report as current_report
from .schema import create_insights_tables as create_insights_tables
from .variants import Experiment as Experiment
from .variants import assign_variant as assign_variant
from .variants import load_experiment as load_experiment
from .variants import parse_experiment as parse_experiment

__all__ = [
    "Experiment",
    "ImpressionCounter",
    "InsightsError",
    "Report",
    "VariantError",
    "assign_variant",
    "build_report",
    "configure_impressions",
    "create_insights_tables",
    "current_report",
    "load_experiment",
    "parse_experiment",
    "record_impression",
    "sync_decisions",
]
