"""Fieldsync sync engine and the pure domain rules; knows nothing of Litestar routes."""
