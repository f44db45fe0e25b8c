"""The consent ledger: proof of consent (GDPR Art. 7(1)) in an append-only, tamper-evident database.

Needs the ``ledger`` extra (``pip install 'consent-gate[ledger]'``: SQLAlchemy, psycopg). Framework-free:
the Flask extension records decisions through it when ``CONSENT_LEDGER_URL`` is set, and backend code
and jobs read it with :meth:`Ledger.history` and :meth:`Ledger.state_at`.
"""

from .checkpoint import Checkpoint as Checkpoint
from .checkpoint import append_checkpoint as append_checkpoint
from .checkpoint import load_checkpoints as load_checkpoints
from .cli import add_ledger_commands as add_ledger_commands
from .engine import normalize_url as normalize_url
from .errors import CheckpointError as CheckpointError
from .errors import LedgerError as LedgerError
from .errors import SchemaError as SchemaError
from .notice import build_notice as build_notice
from .notice import notice_hash as notice_hash
from .notice import render_notice as render_notice
from .records import Record as Record
from .records import build_record as build_record
from .records import derive_key as derive_key
from .schema import SCHEMA_VERSION as SCHEMA_VERSION
from .spool import Held as Held
from .spool import Owner as Owner
from .spool import Spool as Spool
from .store import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from .store import Ledger as Ledger
from .store import Receipt as Receipt
from .store import Stats as Stats
from .store import open_ledger as open_ledger
from .verify import Break as Break
from .verify import Verification as Verification

__all__ = [
    "DEFAULT_TIMEOUT",
    "SCHEMA_VERSION",
    "Break",
    "Checkpoint",
    "CheckpointError",
    "Held",
    "Ledger",
    "LedgerError",
    "Owner",
    "Receipt",
    "Record",
    "SchemaError",
    "Spool",
    "Stats",
    "Verification",
    "add_ledger_commands",
    "append_checkpoint",
    "build_notice",
    "build_record",
    "derive_key",
    "load_checkpoints",
    "normalize_url",
    "notice_hash",
    "open_ledger",
    "render_notice",
]
