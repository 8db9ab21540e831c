"""plans: timezone_source and holidays subdivision

Revision ID: 0002
Revises: 0001
Create Date: 2027-01-10 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('plans', sa.Column('timezone_source', sa.Text(), nullable=True), schema='scheduling')
    op.add_column('plans', sa.Column('subdivision', sa.Text(), nullable=True), schema='scheduling')


def downgrade() -> None:
    op.drop_column('plans', 'subdivision', schema='scheduling')
    op.drop_column('plans', 'timezone_source', schema='scheduling')
