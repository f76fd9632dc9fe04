"""The allocation worker's models: allocations and the events it has processed."""
