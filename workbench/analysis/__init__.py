"""Array work over a corpus: embeddings, neighbours, pairs of close texts, topics and maps.

    analysis = analyze(corpus)          # frozen and bar-independent
    analysis.clusters, analysis.coords  # topics and the PCA map; layout_umap(analysis) for UMAP
    analysis = load_or_analyze(corpus)  # the same, kept on disk by content: a store opened again is quick

Judged results (duplicate groups, conflicts, note status) live in `workbench.findings`.
"""

from .clusters import cluster_names, surface_words, topic_limit, topics
from .core import DEFAULT_BARS, Analysis, analyze, as_of, default_bars, memory_centroids
from .layout import layout_umap, layout_umap_aside
from .meaning import MEANING_NOTES, meaning_cosine
from .memo import computed, forget, memoized
from .neighbours import BLOCK_BYTES, EXACT_LIMIT, complete_link, nearest, top_matches
from .pairs import COARSE, note_pairs, relate_statements
from .projection import project
from .stored import analysis_key, load_or_analyze

__all__ = [
    "Analysis", "analyze", "as_of", "default_bars", "DEFAULT_BARS", "memory_centroids", "memoized", "computed", "forget",
    "nearest", "top_matches", "complete_link", "EXACT_LIMIT", "BLOCK_BYTES", "note_pairs", "relate_statements",
    "COARSE", "topics", "cluster_names", "surface_words", "topic_limit", "project", "layout_umap",
    "layout_umap_aside", "load_or_analyze", "analysis_key", "meaning_cosine", "MEANING_NOTES",
]
