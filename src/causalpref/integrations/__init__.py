"""Adapters to other stacks: TRL reward functions and Hugging Face export."""
