"""Reproductions of the founding paper's experiments."""

from causalpref.replicate.paper_tables import DemoConfig, run_demo

__all__ = ["DemoConfig", "run_demo"]
