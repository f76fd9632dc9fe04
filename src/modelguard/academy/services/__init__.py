"""The platform's services; `allocation` is the one the allocation worker calls."""
