"""Backend Roadmap Labs grader: cli -> lab manifest -> runner -> services -> suite -> report."""

__version__ = "0.1.0"
