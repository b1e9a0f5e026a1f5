"""Service reports: the signed content, issuing, revisions, delivery and verification."""
