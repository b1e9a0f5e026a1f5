"""Photos, signatures and the content-addressed blob store."""
