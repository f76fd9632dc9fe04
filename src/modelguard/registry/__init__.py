"""The subject of the lab: Mongoose's model registry over mongoengine documents.

`model_registry` holds the rules, `schema` what a schema is and how two compare,
`errors` the errors and their diagnosis, `loading` the ways a file runs again.
"""
