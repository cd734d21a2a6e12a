"""The LSA rotation computed on the short side equals scikit-learn's TruncatedSVD (randomized)."""

import numpy as np
import pytest
from scipy import sparse
from sklearn.decomposition import TruncatedSVD

from workbench.lsa import randomized_components


@pytest.mark.parametrize("shape, k", [((300, 2000), 40), ((120, 5000), 16), ((60, 400), 49)])
def test_randomized_components_match_truncated_svd(shape, k):
    x = sparse.random(*shape, density=0.02, format="csr", random_state=1, dtype=np.float32)
    x.data += 0.1  # no zero stored values; TF-IDF weights are positive
    theirs = TruncatedSVD(k, algorithm="randomized", n_iter=4, random_state=0).fit(x).components_
    ours = randomized_components(x, k)
    assert ours.shape == theirs.shape and ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 1e-3  # same vectors, same signs: float32 rounding apart


def test_randomized_components_of_a_rank_deficient_matrix_stay_finite():
    row = sparse.random(1, 500, density=0.1, format="csr", random_state=2, dtype=np.float32)
    x = sparse.vstack([row] * 30 + [row * 2] * 10).tocsr()  # rank one
    components = randomized_components(x, 8)
    assert np.isfinite(components).all()
    first = components[0] / np.linalg.norm(components[0])
    assert abs(first @ (row.toarray()[0] / np.linalg.norm(row.toarray()))) > 0.999


def _texts(n: int) -> list[str]:
    words = "deploy billing postgres kafka review lunch coffee ticket release budget oncall laptop".split()
    rng = np.random.default_rng(3)
    return [" ".join(rng.choice(words, 6)) + f" item {i}" for i in range(n)]


def test_the_tfidf_fit_takes_the_same_rotation_and_keeps_its_transpose_row_major():
    from workbench.embed import TfidfEmbedder

    texts = _texts(240)
    embedder = TfidfEmbedder().fit(texts)
    vectors = embedder.embed(texts[:5])
    x = embedder._sparse(sorted(set(texts)))
    theirs = TruncatedSVD(embedder._basis.shape[0], algorithm="randomized", n_iter=4, random_state=0).fit(x)
    assert np.abs(embedder._basis - theirs.components_).max() < 1e-3
    assert embedder._basis.T.flags.c_contiguous  # what each batch multiplies by: no copy per batch
    again = TfidfEmbedder().fit(texts)  # reads the fit kept on disk
    assert np.array_equal(again.embed(texts[:5]), vectors) and again._basis.T.flags.c_contiguous
