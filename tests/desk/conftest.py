from __future__ import annotations

from tests.smtp_sink import sink  # noqa: F401
