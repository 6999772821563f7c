"""The digits data (8x8 images, 10 classes; shipped with scikit-learn, no download), split and
standardised as documented: ``train_test_split(test_size=0.2, stratify=y, random_state=seed)``,
each pixel standardised with the training split's mean and standard deviation (a zero deviation
replaced by 1)."""

from __future__ import annotations

import numpy as np

__all__ = ["load"]


def load(seed: int = 0):
    """(X_train, y_train, X_test, y_test) as float64 / int32 numpy arrays."""
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    X, y = datasets.load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X.astype(np.float64), y, test_size=0.2,
                                              stratify=y, random_state=seed)
    mean, sd = X_tr.mean(axis=0), X_tr.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return ((X_tr - mean) / sd, y_tr.astype(np.int32), (X_te - mean) / sd,
            y_te.astype(np.int32))
