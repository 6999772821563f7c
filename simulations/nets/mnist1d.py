"""MNIST-1D (Greydanus & Kobak 2020; the ``mnist1d`` package), generated, never downloaded.

Problem: ten 1-D "digit" templates of 12 points, padded, scaled, translated, sheared, with
correlated and i.i.d. noise, resampled to 40 points; 10 balanced classes.  The package's
``make_dataset(get_dataset_args())`` builds it deterministically from its ``seed`` argument
(about 2 s); its ``get_dataset`` downloads a pickle and is never called here.

Variants (:data:`VARIANTS`; keyword overrides of ``get_dataset_args``):
  ``mnist1d``     the package's defaults: 5,000 samples, 4,000 for training, seed 42 (the
                  published dataset's arguments);
  ``mnist1d_b``   a second draw for judging what was tuned on the first: another seed, 4,000
                  samples (3,200 for training) and stronger correlated noise (0.3 for 0.25).

``make_dataset`` seeds numpy's global generator and Python's ``random`` (its
``set_seed``): :func:`load` saves both states and restores them afterwards, so loading the data
changes no other random stream of the process.  The inputs come standardised by the package
(the whole set's mean and standard deviation, one scalar each).

References: S. Greydanus, D. Kobak, "Scaling down deep learning with MNIST-1D", ICML 2024
(arXiv 2011.14439).
"""

from __future__ import annotations

import random

import numpy as np

__all__ = ["VARIANTS", "load", "train_size"]

VARIANTS = {"mnist1d": {},
            "mnist1d_b": {"seed": 2024, "num_samples": 4000, "corr_noise_scale": 0.3}}


def _args(variant: str):
    from mnist1d.data import get_dataset_args
    args = get_dataset_args()
    for key, value in VARIANTS[variant].items():
        setattr(args, key, value)
    return args


def train_size(variant: str = "mnist1d") -> int:
    """The variant's number of training rows, without generating it (as ``make_dataset``:
    num_samples // 10 per class, the first train_split of them for training)."""
    args = _args(variant)
    return int(10 * (args.num_samples // 10) * args.train_split)


def load(variant: str = "mnist1d"):
    """(X_train, y_train, X_test, y_test) as float64 (n, 40) / int32 numpy arrays of the
    variant (the package's own train/test split)."""
    from mnist1d.data import make_dataset
    args = _args(variant)
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        d = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return (np.asarray(d["x"], np.float64), np.asarray(d["y"], np.int32),
            np.asarray(d["x_test"], np.float64), np.asarray(d["y_test"], np.int32))
