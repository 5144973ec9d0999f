"""Synthetic corpus: a codesheet for every published ATOP alliance, and the round-trip measure."""

from atop_pipeline.synth.corpus import CorpusReport, GeneratedSheet, generate_corpus, read_manifest
from atop_pipeline.synth.roundtrip import Mismatch, RoundTripReport, roundtrip

__all__ = [
    "CorpusReport",
    "GeneratedSheet",
    "Mismatch",
    "RoundTripReport",
    "generate_corpus",
    "read_manifest",
    "roundtrip",
]
