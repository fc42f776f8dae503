"""Which data to collect next. Interventional pairs are built with the rewriters, which live in
`causalpref.features.rewriters` (methods, stress tests and design all use them); they are
re-exported here for design code."""

from causalpref.features.rewriters import (
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
