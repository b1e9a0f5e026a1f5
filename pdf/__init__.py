"""Fieldsync service reports: context structs, templates, rendering and signing."""
