"""The allocation worker: the incident's buggy form, the fixed form, and the two half-fixes."""
