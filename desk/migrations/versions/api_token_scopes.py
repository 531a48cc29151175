"""API token scopes and expiry (desk.token_scopes, task scopes33): api_tokens.scopes (space-separated, as OAuth
writes them) and api_tokens.expires_at (NULL: never). Every existing token gets every scope there is, so the
scripts using it keep working; a token created after is given what its creator chose.

Revision ID: api_token_scopes
Revises: webhooks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "api_token_scopes"
down_revision = "webhooks"
branch_labels = None
depends_on = None

# desk.token_scopes.SCOPES as this revision knew them (a migration never imports the code that changes after it).
ALL_SCOPES = ("tickets:read tickets:write customers:read customers:write customers:erase suggest metrics:read "
              "search sync:read")


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("scopes", sa.Text(), nullable=False, server_default=""))
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text("UPDATE api_tokens SET scopes = :all").bindparams(all=ALL_SCOPES))


def downgrade() -> None:
    # Not batch: that copies `api_tokens`, which idempotency_keys references (SQLite drops a column in place).
    op.drop_column("api_tokens", "expires_at")
    op.drop_column("api_tokens", "scopes")
