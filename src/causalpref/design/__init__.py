"""Interventional data: rewriters that change one attribute of a response (counterfactual pairs)."""

from causalpref.design.rewriters import (
    InstructionRewriter,
    ListFormatRewriter,
    MarkerRewriter,
    PaddingRewriter,
    Rewriter,
    SentenceSwapRewriter,
    available_rewriters,
    get_rewriter,
    register_rewriter,
)

__all__ = [
    "InstructionRewriter",
    "ListFormatRewriter",
    "MarkerRewriter",
    "PaddingRewriter",
    "Rewriter",
    "SentenceSwapRewriter",
    "available_rewriters",
    "get_rewriter",
    "register_rewriter",
]
