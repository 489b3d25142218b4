"""Commands: see module docstring of kneecoach.cli."""
