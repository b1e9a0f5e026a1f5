"""Fieldsync server: the Litestar application, domain model, auth, REST routes and CLI."""
