"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 19:07:17.759810
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.models
from sqlalchemy.dialects import postgresql
revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=80), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_entity', ['entity', 'entity_id'], unique=False)
        batch_op.create_index('ix_audit_log_job', ['job_id', 'at'], unique=False)

    op.create_table('counters',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counters'))
    )
    op.create_table('customers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('code', name=op.f('uq_customers_code'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_name'), ['name'], unique=False)

    op.create_table('parts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parts')),
    sa.UniqueConstraint('code', name=op.f('uq_parts_code'))
    )
    with op.batch_alter_table('parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parts_name'), ['name'], unique=False)

    op.create_table('regions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regions')),
    sa.UniqueConstraint('code', name=op.f('uq_regions_code'))
    )
    op.create_table('contacts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_contacts_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_customer_id'), ['customer_id'], unique=False)

    op.create_table('sites',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('region_id', sa.Uuid(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('remote', sa.Boolean(), nullable=False),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_sites_customer_id_customers')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_sites_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sites_customer_id'), ['customer_id'], unique=False)

    op.create_table('teams',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('service', 'repair', name='teamkind', native_enum=False, length=32), nullable=False),
    sa.Column('region_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_teams_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_teams_name'))
    )
    op.create_table('assets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('site_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('serial', sa.String(length=100), nullable=False),
    sa.Column('acceptance_date', sa.Date(), nullable=True),
    sa.Column('warranty_months', sa.Integer(), nullable=True),
    sa.Column('warranty_end', sa.Date(), nullable=True),
    sa.Column('contract_ref', sa.String(length=100), nullable=False),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_assets_customer_id_customers')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_assets_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('model', 'serial', name=op.f('uq_assets_model_serial'))
    )
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assets_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_serial'), ['serial'], unique=False)
        batch_op.create_index(batch_op.f('ix_assets_site_id'), ['site_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('admin', 'dispatcher', 'supervisor', 'engineer', 'quality', name='role', native_enum=False, length=32), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=True),
    sa.Column('region_id', sa.Uuid(), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_users_region_id_regions')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_users_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('devices',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('refresh_hash', sa.String(length=64), nullable=False),
    sa.Column('refresh_expires_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('app_version', sa.String(length=40), nullable=False),
    sa.Column('clock_offset_ms', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_devices_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_refresh_hash'), ['refresh_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_devices_user_id'), ['user_id'], unique=False)

    op.create_table('jobs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('site_id', sa.Uuid(), nullable=True),
    sa.Column('asset_id', sa.Uuid(), nullable=True),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.Enum('phone', 'web', 'email', 'on_site', name='channel', native_enum=False, length=32), nullable=False),
    sa.Column('fault_description', sa.Text(), nullable=False),
    sa.Column('urgency', sa.Enum('low', 'normal', 'high', 'critical', name='urgency', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('reported', 'accepted', 'assigned', 'en_route', 'on_site', 'waiting_parts', 'work_done', 'signed', 'reviewed', 'settled', 'followed_up', 'closed', 'cancelled', 'reopened', name='jobstatus', native_enum=False, length=32), nullable=False),
    sa.Column('assigned_engineer_id', sa.Uuid(), nullable=True),
    sa.Column('scheduled_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('handling_plan', sa.Text(), nullable=False),
    sa.Column('office_notes', sa.Text(), nullable=False),
    sa.Column('reported_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('plan_due_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('on_site_due_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('plan_at_risk_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('on_site_at_risk_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('plan_given_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('assigned_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('arrived_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('settled_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('callback_due_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('callback_at_risk_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('followed_up_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('diagnosis', sa.Text(), nullable=False),
    sa.Column('cause', sa.Text(), nullable=False),
    sa.Column('work_done', sa.Text(), nullable=False),
    sa.Column('advice', sa.Text(), nullable=False),
    sa.Column('reopened_from_id', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['assets.id'], name=op.f('fk_jobs_asset_id_assets')),
    sa.ForeignKeyConstraint(['assigned_engineer_id'], ['users.id'], name=op.f('fk_jobs_assigned_engineer_id_users')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_jobs_created_by_users')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_jobs_customer_id_customers')),
    sa.ForeignKeyConstraint(['reopened_from_id'], ['jobs.id'], name=op.f('fk_jobs_reopened_from_id_jobs')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_jobs_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('number', name=op.f('uq_jobs_number'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_assigned_engineer_id'), ['assigned_engineer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_site_id'), ['site_id'], unique=False)
        batch_op.create_index('ix_jobs_status_engineer', ['status', 'assigned_engineer_id'], unique=False)

    op.create_table('stock_locations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('warehouse', 'van', name='locationkind', native_enum=False, length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('engineer_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['engineer_id'], ['users.id'], name=op.f('fk_stock_locations_engineer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_locations')),
    sa.UniqueConstraint('engineer_id', name=op.f('uq_stock_locations_engineer_id')),
    sa.UniqueConstraint('name', name=op.f('uq_stock_locations_name'))
    )
    op.create_table('complaints',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=True),
    sa.Column('severity', sa.Enum('minor', 'major', 'serious', name='complaintseverity', native_enum=False, length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'in_progress', 'resolved', name='complaintstatus', native_enum=False, length=32), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('deadline', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_complaints_customer_id_customers')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_complaints_job_id_jobs')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_complaints_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_job_id'), ['job_id'], unique=False)

    op.create_table('notes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_notes_author_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_notes_job_id_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notes'))
    )
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notes_job_id'), ['job_id'], unique=False)

    op.create_table('part_lines',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('part_id', sa.Uuid(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('billing', sa.Enum('warranty', 'chargeable', name='billing', native_enum=False, length=32), nullable=False),
    sa.Column('source', sa.Enum('van', 'warehouse', 'customer', name='partsource', native_enum=False, length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('removed_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_part_lines_created_by_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_part_lines_job_id_jobs')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_part_lines_part_id_parts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_part_lines'))
    )
    with op.batch_alter_table('part_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_part_lines_job_id'), ['job_id'], unique=False)

    op.create_table('photos',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('blob_sha256', sa.String(length=64), nullable=False),
    sa.Column('category', sa.Enum('before', 'during', 'after', 'defect', 'nameplate', name='photocategory', native_enum=False, length=32), nullable=False),
    sa.Column('caption', sa.Text(), nullable=False),
    sa.Column('taken_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('removed_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_photos_created_by_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_photos_job_id_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos'))
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photos_blob_sha256'), ['blob_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_job_id'), ['job_id'], unique=False)

    op.create_table('repair_receipts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('item_description', sa.Text(), nullable=False),
    sa.Column('serial', sa.String(length=100), nullable=False),
    sa.Column('fault', sa.Text(), nullable=False),
    sa.Column('accessories', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('taken', 'in_workshop', 'returned', name='receiptstatus', native_enum=False, length=32), nullable=False),
    sa.Column('taken_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('promised_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('returned_at', api.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_repair_receipts_created_by_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_repair_receipts_job_id_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_receipts')),
    sa.UniqueConstraint('number', name=op.f('uq_repair_receipts_number'))
    )
    with op.batch_alter_table('repair_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_receipts_job_id'), ['job_id'], unique=False)

    op.create_table('satisfaction',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('source', sa.Enum('on_site', 'callback', name='satisfactionsource', native_enum=False, length=32), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('remarks', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.Uuid(), nullable=True),
    sa.Column('at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_satisfaction_job_id_jobs')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_satisfaction_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_satisfaction'))
    )
    with op.batch_alter_table('satisfaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_satisfaction_job_id'), ['job_id'], unique=False)

    op.create_table('signatures',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('signer_role', sa.Enum('customer', 'engineer', name='signerrole', native_enum=False, length=32), nullable=False),
    sa.Column('signer_name', sa.String(length=100), nullable=False),
    sa.Column('strokes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('png_sha256', sa.String(length=64), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('device_time', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('server_time', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_signatures_job_id_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signatures')),
    sa.UniqueConstraint('job_id', 'signer_role', name=op.f('uq_signatures_job_id_signer_role'))
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signatures_job_id'), ['job_id'], unique=False)

    op.create_table('stock_levels',
    sa.Column('location_id', sa.Uuid(), nullable=False),
    sa.Column('part_id', sa.Uuid(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['stock_locations.id'], name=op.f('fk_stock_levels_location_id_stock_locations')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_stock_levels_part_id_parts')),
    sa.PrimaryKeyConstraint('location_id', 'part_id', name=op.f('pk_stock_levels'))
    )
    op.create_table('trip_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=False),
    sa.Column('engineer_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('departed', 'arrived', 'left', name='tripkind', native_enum=False, length=32), nullable=False),
    sa.Column('device_time', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('server_time', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['engineer_id'], ['users.id'], name=op.f('fk_trip_events_engineer_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_trip_events_job_id_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trip_events'))
    )
    with op.batch_alter_table('trip_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trip_events_job_id'), ['job_id'], unique=False)

    op.create_table('receipt_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('receipt_id', sa.Uuid(), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by_user_id', sa.Uuid(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_receipt_events_by_user_id_users')),
    sa.ForeignKeyConstraint(['receipt_id'], ['repair_receipts.id'], name=op.f('fk_receipt_events_receipt_id_repair_receipts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_events'))
    )
    with op.batch_alter_table('receipt_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_events_receipt_id'), ['receipt_id'], unique=False)

    op.create_table('stock_movements',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('part_id', sa.Uuid(), nullable=False),
    sa.Column('from_location_id', sa.Uuid(), nullable=True),
    sa.Column('to_location_id', sa.Uuid(), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=True),
    sa.Column('part_line_id', sa.Uuid(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', api.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_stock_movements_created_by_users')),
    sa.ForeignKeyConstraint(['from_location_id'], ['stock_locations.id'], name=op.f('fk_stock_movements_from_location_id_stock_locations')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_stock_movements_job_id_jobs')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_stock_movements_part_id_parts')),
    sa.ForeignKeyConstraint(['part_line_id'], ['part_lines.id'], name=op.f('fk_stock_movements_part_line_id_part_lines')),
    sa.ForeignKeyConstraint(['to_location_id'], ['stock_locations.id'], name=op.f('fk_stock_movements_to_location_id_stock_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_movements_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movements_part_id'), ['part_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_movements_part_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movements_job_id'))

    op.drop_table('stock_movements')
    with op.batch_alter_table('receipt_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_events_receipt_id'))

    op.drop_table('receipt_events')
    with op.batch_alter_table('trip_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trip_events_job_id'))

    op.drop_table('trip_events')
    op.drop_table('stock_levels')
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signatures_job_id'))

    op.drop_table('signatures')
    with op.batch_alter_table('satisfaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_satisfaction_job_id'))

    op.drop_table('satisfaction')
    with op.batch_alter_table('repair_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_receipts_job_id'))

    op.drop_table('repair_receipts')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photos_job_id'))
        batch_op.drop_index(batch_op.f('ix_photos_blob_sha256'))

    op.drop_table('photos')
    with op.batch_alter_table('part_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_part_lines_job_id'))

    op.drop_table('part_lines')
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notes_job_id'))

    op.drop_table('notes')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_job_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_customer_id'))

    op.drop_table('complaints')
    op.drop_table('stock_locations')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_engineer')
        batch_op.drop_index(batch_op.f('ix_jobs_site_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_customer_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_assigned_engineer_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_asset_id'))

    op.drop_table('jobs')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_user_id'))
        batch_op.drop_index(batch_op.f('ix_devices_refresh_hash'))

    op.drop_table('devices')
    op.drop_table('users')
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assets_site_id'))
        batch_op.drop_index(batch_op.f('ix_assets_serial'))
        batch_op.drop_index(batch_op.f('ix_assets_customer_id'))

    op.drop_table('assets')
    op.drop_table('teams')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_customer_id'))

    op.drop_table('sites')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_customer_id'))

    op.drop_table('contacts')
    op.drop_table('regions')
    with op.batch_alter_table('parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parts_name'))

    op.drop_table('parts')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_name'))

    op.drop_table('customers')
    op.drop_table('counters')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_job')
        batch_op.drop_index('ix_audit_log_entity')

    op.drop_table('audit_log')
