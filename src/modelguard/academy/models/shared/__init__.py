"""Models every service shares (the seed's shared/databases/mongo/models)."""
