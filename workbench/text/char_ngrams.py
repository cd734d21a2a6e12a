"""Character n-gram counts (scikit-learn's `char_wb` analyzer) of many texts, through their distinct words.

A `char_wb` vectorizer counts the n-grams of each whitespace-separated word of a text, so a text's
counts are the sum of its words' counts: a text × word matrix times a word × n-gram matrix. Each
distinct word is cut into n-grams once (its features kept), and the sum is a sparse product; the
counts are the very ones `transform` counts, n-gram by n-gram in Python, for every text.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse


class CharNgramCounts:
    """The n-gram counts a fitted `char_wb` vectorizer (`TfidfVectorizer` or `CountVectorizer`) would count."""

    def __init__(self, vectorizer) -> None:
        self.vectorizer = vectorizer
        self._features: dict[str, np.ndarray] = {}  # word → its n-grams' feature columns (repeats kept)

    def counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """texts × features, float in the vectorizer's dtype, indices sorted: what `CountVectorizer.transform` gives."""
        words, by_text = self._words(texts)
        grams = self._grams(words)
        out = (by_text @ grams).astype(self.vectorizer.dtype)
        out.sort_indices()
        return out

    def tfidf(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """What `TfidfVectorizer.transform` gives: the counts, then the vectorizer's own weighting."""
        return self.vectorizer._tfidf.transform(self.counts(texts), copy=False)

    def _words(self, texts: Sequence[str]) -> tuple[list[str], sparse.csr_matrix]:
        """The distinct words of `texts` (as the analyzer splits them) and a texts × words count matrix."""
        prepare = self.vectorizer.build_preprocessor()
        decode = self.vectorizer.decode
        column: dict[str, int] = {}
        indices: list[int] = []
        indptr = [0]
        for text in texts:
            indices.extend(column.setdefault(w, len(column)) for w in prepare(decode(text)).split())
            indptr.append(len(indices))
        by_text = sparse.csr_matrix((np.ones(len(indices), dtype=np.int64), indices, indptr),
                                    shape=(len(texts), len(column)))
        by_text.sum_duplicates()
        return list(column), by_text

    def _grams(self, words: list[str]) -> sparse.csr_matrix:
        """words × features: how often each feature is an n-gram of each word."""
        rows = [self._features.get(w) for w in words]
        for i, row in enumerate(rows):
            if row is None:
                rows[i] = self._features[words[i]] = self._columns(words[i])
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(r) for r in rows], out=indptr[1:])
        indices = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        grams = sparse.csr_matrix((np.ones(len(indices), dtype=np.int64), indices, indptr),
                                  shape=(len(words), len(self.vectorizer.vocabulary_)))
        grams.sum_duplicates()
        return grams

    def _columns(self, word: str) -> np.ndarray:
        vocabulary = self.vectorizer.vocabulary_
        found = [vocabulary.get(g) for g in self.vectorizer._char_wb_ngrams(word)]
        return np.array([c for c in found if c is not None], dtype=np.int64)
