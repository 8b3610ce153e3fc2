"""Cases, documents and transcript import."""
