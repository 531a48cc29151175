"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 11:19:22.259791
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('article_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_key', sa.String(length=300), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('visit_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('article_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_feedback_article_key'), ['article_key'], unique=False)

    op.create_table('article_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_key', sa.String(length=300), nullable=False),
    sa.Column('visit_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('article_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_views_article_key'), ['article_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_views_created_at'), ['created_at'], unique=False)

    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_table('deflections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.String(length=40), nullable=False),
    sa.Column('article_key', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deflections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deflections_visit_id'), ['visit_id'], unique=False)

    op.create_table('search_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.String(length=40), nullable=True),
    sa.Column('query', sa.String(length=600), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('result_count', sa.Integer(), nullable=False),
    sa.Column('abstained', sa.Boolean(), nullable=False),
    sa.Column('fallback', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('clicked_article', sa.String(length=300), nullable=True),
    sa.Column('clicked_position', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('search_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_events_visit_id'), ['visit_id'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('visit_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['agents.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('external_id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_lang'), ['lang'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_visit_id'), ['visit_id'], unique=False)

    op.create_table('content_gaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('query', sa.String(length=600), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('content_gaps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_gaps_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=20), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('suggestion_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('article_key', sa.String(length=300), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('edit_distance', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('suggestion_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_events_article_key'), ['article_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_events_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_events_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('suggestion_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestion_events_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_suggestion_events_kind'))
        batch_op.drop_index(batch_op.f('ix_suggestion_events_article_key'))

    op.drop_table('suggestion_events')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_ticket_id'))

    op.drop_table('messages')
    with op.batch_alter_table('content_gaps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_gaps_ticket_id'))

    op.drop_table('content_gaps')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_visit_id'))
        batch_op.drop_index(batch_op.f('ix_tickets_status'))
        batch_op.drop_index(batch_op.f('ix_tickets_lang'))
        batch_op.drop_index(batch_op.f('ix_tickets_customer_id'))
        batch_op.drop_index(batch_op.f('ix_tickets_created_at'))
        batch_op.drop_index(batch_op.f('ix_tickets_assignee_id'))

    op.drop_table('tickets')
    with op.batch_alter_table('search_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_events_visit_id'))
        batch_op.drop_index(batch_op.f('ix_search_events_created_at'))

    op.drop_table('search_events')
    with op.batch_alter_table('deflections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deflections_visit_id'))

    op.drop_table('deflections')
    op.drop_table('customers')
    with op.batch_alter_table('article_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_views_created_at'))
        batch_op.drop_index(batch_op.f('ix_article_views_article_key'))

    op.drop_table('article_views')
    with op.batch_alter_table('article_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_feedback_article_key'))

    op.drop_table('article_feedback')
    op.drop_table('api_tokens')
    op.drop_table('agents')
