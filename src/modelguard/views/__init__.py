"""Tables and plots of what the lab measured; nothing here runs an experiment."""
