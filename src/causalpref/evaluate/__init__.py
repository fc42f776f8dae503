"""Metrics and summaries of fitted reward models."""

from causalpref.evaluate.metrics import mean_se, pairwise_accuracy, worst_group_accuracy

__all__ = ["mean_se", "pairwise_accuracy", "worst_group_accuracy"]
