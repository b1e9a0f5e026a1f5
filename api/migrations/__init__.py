"""Alembic migrations of the Fieldsync schema."""
