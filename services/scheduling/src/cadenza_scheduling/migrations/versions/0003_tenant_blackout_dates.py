"""tenant_blackout_dates: dates a tenant never sends on

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-10 11:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tenant_blackout_dates',
    sa.Column('tenant', sa.Text(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('tenant', 'day'),
    schema='scheduling'
    )


def downgrade() -> None:
    op.drop_table('tenant_blackout_dates', schema='scheduling')
